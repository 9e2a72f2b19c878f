package dev.posthorn.probe;

/** The steps of a probe session in their order; each transcript line belongs to one. */
public enum Step {
    CONNECT("connect"),
    GREETING("greeting"),
    EHLO("EHLO"),
    STARTTLS("STARTTLS"),
    TLS("TLS"),
    AUTH("AUTH"),
    MAIL("MAIL FROM"),
    RCPT("RCPT TO"),
    DATA("DATA"),
    MESSAGE("DATA"),
    QUIT("QUIT");

    private final String command;

    Step(String command) {
        this.command = command;
    }

    /** The protocol word for the step as the diagnosis names it ("MAIL FROM"); not translated. */
    public String command() {
        return command;
    }
}
