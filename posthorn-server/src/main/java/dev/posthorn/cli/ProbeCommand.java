package dev.posthorn.cli;

import dev.posthorn.codes.Catalogue;
import dev.posthorn.probe.Diagnosis;
import dev.posthorn.probe.PolicyCheck;
import dev.posthorn.probe.Probe;
import dev.posthorn.probe.ProbeOptions;
import dev.posthorn.probe.ProbeResult;
import dev.posthorn.probe.Security;
import dev.posthorn.probe.TranscriptPrinter;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code posthorn probe HOST:PORT}: a session step by step, each reply explained, then a diagnosis.
 * Exit 0 when the message was accepted (or, without --to, every step of the check worked), 1 otherwise,
 * 2 for bad usage.
 */
@Command(name = "probe", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Talk to an SMTP server step by step (connect, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, QUIT), "
                + "explain every reply and say in plain words what is wrong. Without --to only the connection, TLS "
                + "and login are checked.",
                "Exit status: 0 when the message was accepted (or the check passed), 1 otherwise, 2 for bad usage."})
final class ProbeCommand implements Callable<Integer> {

    private static final Pattern TARGET = Pattern.compile("\\[([^\\]]+)](?::(\\d+))?|([^:\\[\\]]+)(?::(\\d+))?");

    @Parameters(index = "0", paramLabel = "HOST:PORT",
            description = "Server to probe; the port defaults to 25, or 465 with --tls.")
    String target;

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Encryption encryption;

    static final class Encryption {
        @Option(names = "--starttls", description = "Upgrade to TLS with STARTTLS after EHLO (port 587 or 25).")
        boolean startTls;

        @Option(names = "--tls", description = "Speak TLS from the first byte (implicit TLS, port 465).")
        boolean tls;
    }

    @Option(names = "--insecure", description = "Accept any certificate (self-signed, expired, other name).")
    boolean insecure;

    @Option(names = "--user", paramLabel = "U", description = "Log in with AUTH as U (only inside TLS).")
    String user;

    @Option(names = "--password-stdin", description = "Read the password as one line from standard input.")
    boolean passwordStdin;

    @Option(names = "--from", paramLabel = "A", description = "Envelope sender (default: the --user address).")
    String from;

    @Option(names = "--to", paramLabel = "B", description = "Send a small test message to B.")
    String to;

    @Option(names = "--lang", paramLabel = "LANG", defaultValue = Catalogue.DEFAULT_LANGUAGE,
            description = "Language of explanations and diagnosis: en, tr, ... (default: ${DEFAULT-VALUE}).")
    String language;

    @Option(names = "--timeout", paramLabel = "SECONDS",
            description = "Time-out for each step (default: 10 s to connect, 30 s for each reply).")
    Integer timeout;

    @Option(names = "--ehlo", paramLabel = "NAME", defaultValue = ProbeOptions.DEFAULT_EHLO,
            description = "Name to give in EHLO (default: ${DEFAULT-VALUE}).")
    String ehlo;

    @Option(names = "--dane", description = "Check the server against the DNSSEC-signed TLSA records of "
            + "_25._tcp.HOST (RFC 7672), as outbound delivery does; implies --starttls.")
    boolean dane;

    @Option(names = "--mta-sts", paramLabel = "DOMAIN", description = "Check the server against DOMAIN's MTA-STS "
            + "policy (RFC 8461): listed as an MX, certificate valid for HOST; implies --starttls.")
    String mtaSts;

    @Option(names = "--mx-name", paramLabel = "NAME", description = "The MX host name the policies are checked for, "
            + "when HOST is an address (default: HOST).")
    String mxName;

    @Option(names = "--dns", paramLabel = "SERVER", description = "DNS server for the policy look-ups, \"host\" or "
            + "\"host:port\" (repeatable; default: the system's).")
    java.util.List<String> dnsServers = new java.util.ArrayList<>();

    @Option(names = "--trust-anchor", paramLabel = "FILE", description = "DS or DNSKEY records to validate DNSSEC "
            + "from (default: the root's, built in).")
    java.nio.file.Path trustAnchor;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Optional<Catalogue> loaded = CatalogueLoading.load(language, err);
        if (loaded.isEmpty()) {
            return 2;
        }
        ProbeOptions options = options();
        try {
            TranscriptPrinter printer = new TranscriptPrinter(loaded.get());
            PolicyCheck policy;
            try {
                policy = dane || mtaSts != null ? ProbePolicies.check(mxName != null ? mxName : options.host(), dane,
                        mtaSts, dnsServers, trustAnchor, options.replyTimeout()) : null;
            } catch (java.io.UncheckedIOException | IllegalArgumentException e) {
                throw usage("cannot look up the policy: " + e.getMessage());
            }
            ProbeResult result = Probe.run(options, entry -> {
                printer.lines(entry).forEach(out::println);
                out.flush();
            }, policy);
            if (result.tlsSecurity() != null) {
                out.println(loaded.get().language().fill("probe.tlsSecurity", java.util.Map.of(
                        "level", result.tlsSecurity().level().label(), "record", result.tlsSecurity().decidedBy())));
            }
            out.println();
            printer.diagnosis(Diagnosis.of(result, loaded.get().language())).forEach(out::println);
            out.flush();
            return result.succeeded() ? 0 : 1;
        } finally {
            options.wipePassword();
        }
    }

    /** The probe's settings from the flags; anything inconsistent is a usage error (exit 2). */
    private ProbeOptions options() {
        Matcher m = TARGET.matcher(target.strip());
        if (!m.matches()) {
            throw usage("'" + target + "' is not HOST:PORT");
        }
        String host = m.group(1) != null ? m.group(1) : m.group(3);
        String portText = m.group(1) != null ? m.group(2) : m.group(4);
        Security security = encryption == null ? (dane || mtaSts != null ? Security.STARTTLS : Security.NONE)
                : encryption.tls ? Security.IMPLICIT_TLS : Security.STARTTLS;
        int port = security == Security.IMPLICIT_TLS ? 465 : 25;
        if (portText != null) {
            port = Integer.parseInt(portText.length() > 5 ? "0" : portText);
            if (port < 1 || port > 65535) {
                throw usage("port " + portText + " is out of range (1-65535)");
            }
        }
        if (passwordStdin && user == null) {
            throw usage("--password-stdin needs --user");
        }
        if (timeout != null && timeout <= 0) {
            throw usage("--timeout must be a positive number of seconds");
        }
        if (to != null && !to.contains("@")) {
            throw usage("--to needs an address such as postmaster@example.org");
        }
        char[] password = user == null ? null : readPassword();
        Duration connect = timeout == null ? ProbeOptions.DEFAULT_CONNECT_TIMEOUT : Duration.ofSeconds(timeout);
        Duration reply = timeout == null ? ProbeOptions.DEFAULT_REPLY_TIMEOUT : Duration.ofSeconds(timeout);
        return ProbeOptions.of(host, port)
                .withSecurity(security, insecure)
                .withLogin(user, password)
                .withEnvelope(from, to)
                .withEhloName(ehlo)
                .withTimeouts(connect, reply);
    }

    private char[] readPassword() {
        if (!passwordStdin) {
            Console console = System.console();
            if (console == null) {
                throw usage("--user needs --password-stdin (there is no console to ask for the password)");
            }
            char[] password = console.readPassword("Password for %s: ", user);
            if (password == null) {
                throw usage("no password given");
            }
            return password;
        }
        // Not closed: System.in belongs to the process.
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try {
            String line = in.readLine();
            if (line == null || line.isEmpty()) {
                throw usage("no password on standard input");
            }
            return line.toCharArray();
        } catch (IOException e) {
            throw usage("cannot read the password: " + e.getMessage());
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
