package dev.posthorn.testing;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.posthorn.auth.ScramClient;
import java.io.IOException;
import java.util.Base64;

/**
 * One login each, on a fresh implicit-TLS connection to a submission port (465, RFC 8314), as a mail client
 * does it: greeting, EHLO, AUTH. Each returns the server's final AUTH reply ({@code 235 ...} or
 * {@code 535 ...}), so a test can poll a node until a change shows.
 */
public final class Logins {

    public static final String OK = "235 2.7.0 Authentication successful";
    public static final String INVALID = "535 5.7.8 Authentication credentials invalid";

    private Logins() {
    }

    /** AUTH PLAIN with the initial response (RFC 4616). */
    public static String plain(int smtpsPort, String user, String password) throws IOException {
        try (SmtpWire wire = ready(smtpsPort)) {
            String response = "\0" + user + "\0" + password;
            return wire.command("AUTH PLAIN " + Base64.getEncoder().encodeToString(response.getBytes(UTF_8)));
        }
    }

    /** AUTH SCRAM-SHA-256 (RFC 7677) to the end, checking the server's signature when it accepts the proof. */
    public static String scram(int smtpsPort, String user, String password) throws IOException {
        try (SmtpWire wire = ready(smtpsPort)) {
            ScramClient client = new ScramClient(user, password, "n,,");
            String serverFirst = wire.command("AUTH SCRAM-SHA-256 " + Base64.getEncoder().encodeToString(client.first()));
            if (!serverFirst.startsWith("334 ")) {
                return serverFirst;
            }
            byte[] clientFinal = client.finalMessage(Base64.getDecoder().decode(serverFirst.substring(4)));
            String serverFinal = wire.command(Base64.getEncoder().encodeToString(clientFinal));
            if (!serverFinal.startsWith("334 ")) {
                return serverFinal;
            }
            if (!client.serverSignatureValid(Base64.getDecoder().decode(serverFinal.substring(4)))) {
                throw new IOException("the server's SCRAM signature does not prove it knows the password's keys");
            }
            return wire.command("");
        }
    }

    private static SmtpWire ready(int smtpsPort) throws IOException {
        SmtpWire wire = SmtpWire.connectTls(smtpsPort);
        String greeting = wire.reply();
        if (!greeting.startsWith("220 ")) {
            wire.close();
            throw new IOException("greeting: " + greeting);
        }
        wire.command("EHLO client.test");
        return wire;
    }
}
