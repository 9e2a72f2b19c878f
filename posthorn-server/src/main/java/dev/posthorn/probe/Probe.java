package dev.posthorn.probe;

import dev.posthorn.delivery.security.SecurityLevel;
import dev.posthorn.delivery.security.TlsRptResult;
import dev.posthorn.delivery.security.TlsSecurity;
import dev.posthorn.probe.TranscriptEntry.Event;
import dev.posthorn.probe.TranscriptEntry.EventKind;
import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;

/**
 * A swaks-like SMTP client that runs one session step by step (connect, greeting, EHLO, STARTTLS, AUTH, MAIL,
 * RCPT, DATA, QUIT), writes down every command and reply, and stops at the first step that fails. It never
 * throws: whatever happens ends up in the {@link ProbeResult}.
 */
public final class Probe {

    private static final String MASK = "********";

    private final ProbeOptions options;
    private final Consumer<TranscriptEntry> listener;
    private final KeyStore trustAnchors;
    private final List<TranscriptEntry> transcript = new ArrayList<>();

    private SmtpConnection connection;
    private Set<String> capabilities = Set.of();
    private boolean tlsOfferedInPlain;
    private String tlsProtocol;
    private CertificateInspector inspector;
    private boolean authenticated;

    private final PolicyCheck policy;
    private TlsSecurity tlsSecurity;

    private Probe(ProbeOptions options, Consumer<TranscriptEntry> listener, KeyStore trustAnchors, PolicyCheck policy) {
        this.options = options;
        this.listener = listener == null ? e -> { } : listener;
        this.trustAnchors = trustAnchors;
        this.policy = policy;
    }

    /** Runs the probe; {@code listener} sees each transcript line as it happens (for printing as it goes). */
    public static ProbeResult run(ProbeOptions options, Consumer<TranscriptEntry> listener) {
        return new Probe(options, listener, null, null).run();
    }

    /** As {@link #run(ProbeOptions, Consumer)}, judging the server's TLS by a domain's DANE or MTA-STS policy. */
    public static ProbeResult run(ProbeOptions options, Consumer<TranscriptEntry> listener, PolicyCheck policy) {
        return new Probe(options, listener, null, policy).run();
    }

    /** For tests: trust {@code anchors} instead of the JDK's trust store. */
    static ProbeResult run(ProbeOptions options, KeyStore anchors) {
        return new Probe(options, null, anchors, null).run();
    }

    public static ProbeResult run(ProbeOptions options) {
        return new Probe(options, null, null, null).run();
    }

    private ProbeResult run() {
        try {
            connect();
            if (options.security() == Security.IMPLICIT_TLS) {
                handshake();
            }
            SmtpReply greeting = read(Step.GREETING);
            if (greeting.code() != 220) {
                throw Stop.refused(Step.GREETING, greeting, greeting.code() != 421);
            }
            ehlo();
            tlsOfferedInPlain = tlsProtocol == null && offers("STARTTLS");
            if (options.security() == Security.STARTTLS) {
                startTls();
            }
            judgeTls();
            if (options.user() != null) {
                authenticate();
            }
            if (options.to() != null) {
                send();
            }
            quit();
            return result(true, null);
        } catch (Stop stop) {
            if (stop.quit) {
                quit();
            }
            return result(false, stop);
        } finally {
            if (connection != null) {
                connection.close();
            }
        }
    }

    // ---- the steps ----

    private void connect() throws Stop {
        event(Step.CONNECT, EventKind.CONNECT, Map.of("address", options.address()));
        InetAddress address = resolve();
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress(address, options.port()), millis(options.connectTimeout()));
            connection = new SmtpConnection(socket, options.replyTimeout());
        } catch (SocketTimeoutException e) {
            close(socket);
            Stop stop = Stop.of(Problem.CONNECT_TIMEOUT, Step.CONNECT, message(e));
            event(Step.CONNECT, EventKind.TIMEOUT, Map.of("millis", String.valueOf(options.connectTimeout().toMillis())));
            throw stop;
        } catch (ConnectException e) {
            close(socket);
            throw failure(Stop.of(message(e).toLowerCase(Locale.ROOT).contains("refused")
                    ? Problem.CONNECTION_REFUSED : Problem.CONNECT_FAILED, Step.CONNECT, message(e)));
        } catch (IOException e) {
            close(socket);
            throw failure(Stop.of(Problem.CONNECT_FAILED, Step.CONNECT, message(e)));
        }
        event(Step.CONNECT, EventKind.CONNECTED, Map.of("ip", address.getHostAddress(),
                "port", String.valueOf(options.port())));
    }

    /** The host's address; the look-up gets the connect time-out too, since a resolver can hang. */
    private InetAddress resolve() throws Stop {
        FutureTask<InetAddress> lookup = new FutureTask<>(() -> InetAddress.getByName(options.host()));
        Thread.ofVirtual().name("probe-dns").start(lookup);
        try {
            return lookup.get(options.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            String error = cause instanceof UnknownHostException ? message((Exception) cause) : String.valueOf(cause);
            throw failure(Stop.of(Problem.DNS_FAILURE, Step.CONNECT, error));
        } catch (TimeoutException e) {
            lookup.cancel(true);
            event(Step.CONNECT, EventKind.TIMEOUT, Map.of("millis", String.valueOf(options.connectTimeout().toMillis())));
            throw Stop.of(Problem.DNS_TIMEOUT, Step.CONNECT, "DNS look-up of " + options.host() + " timed out");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failure(Stop.of(Problem.CONNECT_FAILED, Step.CONNECT, "interrupted"));
        }
    }

    private void ehlo() throws Stop {
        SmtpReply reply = command(Step.EHLO, "EHLO " + options.ehloName());
        if (reply.code() / 100 != 2) {
            // A server without ESMTP: HELO still lets a plain, unauthenticated probe go on.
            if (reply.code() / 100 == 5 && options.security() != Security.STARTTLS && options.user() == null) {
                SmtpReply helo = command(Step.EHLO, "HELO " + options.ehloName());
                if (helo.code() / 100 == 2) {
                    capabilities = Set.of();
                    return;
                }
                throw Stop.refused(Step.EHLO, helo, helo.code() != 421);
            }
            throw Stop.refused(Step.EHLO, reply, reply.code() != 421);
        }
        Set<String> keywords = new LinkedHashSet<>();
        List<String> texts = reply.texts();
        for (String line : texts.subList(1, texts.size())) {
            keywords.add(line.trim().toUpperCase(Locale.ROOT));
        }
        capabilities = keywords;
    }

    private void startTls() throws Stop {
        if (!offers("STARTTLS")) {
            throw Stop.of(Problem.STARTTLS_NOT_OFFERED, Step.STARTTLS, null).quitting();
        }
        SmtpReply reply = command(Step.STARTTLS, "STARTTLS");
        if (reply.code() != 220) {
            throw Stop.refused(Step.STARTTLS, reply, reply.code() != 421);
        }
        handshake();
        ehlo();
    }

    private void handshake() throws Stop {
        inspector = new CertificateInspector(options.host(), options.insecure(), trustAnchors,
                policy == null ? null : policy.trust());
        SSLSocket tls;
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {inspector}, null);
            tls = (SSLSocket) context.getSocketFactory()
                    .createSocket(connection.socket(), options.host(), options.port(), true);
            SSLParameters parameters = tls.getSSLParameters();
            if (!options.insecure()) {
                // RFC 6125 host name check by the JDK, as browsers and mail clients do.
                parameters.setEndpointIdentificationAlgorithm("HTTPS");
            }
            tls.setSSLParameters(parameters);
            tls.setSoTimeout(millis(options.replyTimeout()));
            tls.startHandshake();
        } catch (SocketTimeoutException e) {
            event(Step.TLS, EventKind.TIMEOUT, Map.of("millis", String.valueOf(options.replyTimeout().toMillis())));
            throw Stop.of(Problem.REPLY_TIMEOUT, Step.TLS, message(e));
        } catch (SSLException e) {
            Stop stop = Stop.of(Problem.TLS_HANDSHAKE, Step.TLS, message(e));
            stop.tlsFailure = classify(e);
            if (inspector.report() != null && !options.insecure()) {
                certificateEvent(EventKind.CERTIFICATE_REFUSED, inspector.report());
            }
            throw failure(stop);
        } catch (IOException e) {
            throw failure(Stop.of(Problem.IO_ERROR, Step.TLS, message(e)));
        } catch (GeneralSecurityException e) {
            throw failure(Stop.of(Problem.IO_ERROR, Step.TLS, message(e)));
        }
        SSLSession session = tls.getSession();
        tlsProtocol = session.getProtocol() + " " + session.getCipherSuite();
        event(Step.TLS, EventKind.TLS, Map.of("protocol", session.getProtocol(), "cipher", session.getCipherSuite()));
        CertificateReport cert = inspector.report();
        if (cert != null) {
            certificateEvent(options.insecure() ? EventKind.CERTIFICATE_UNCHECKED : EventKind.CERTIFICATE_VERIFIED,
                    cert);
        }
        try {
            connection.upgrade(tls, options.replyTimeout());
        } catch (IOException e) {
            throw failure(Stop.of(Problem.IO_ERROR, Step.TLS, message(e)));
        }
    }

    private void certificateEvent(EventKind kind, CertificateReport cert) {
        event(Step.TLS, kind, Map.of("names", String.join(", ", cert.names()), "issuer", cert.issuer(),
                "until", cert.notAfter().atOffset(java.time.ZoneOffset.UTC).toLocalDate().toString()));
    }

    private TlsFailure classify(SSLException e) {
        CertificateReport cert = inspector.report();
        if (cert != null && !options.insecure()) {
            if (!cert.trusted()) {
                return TlsFailure.CERTIFICATE_UNTRUSTED;
            }
            if (!cert.matchesHost()) {
                return TlsFailure.HOSTNAME_MISMATCH;
            }
        }
        StringBuilder messages = new StringBuilder();
        boolean certificateProblem = false;
        for (Throwable t = e; t != null; t = t.getCause()) {
            messages.append(' ').append(t.getMessage());
            certificateProblem |= t instanceof CertificateException;
        }
        String all = messages.toString().toLowerCase(Locale.ROOT);
        if (all.contains("unrecognized ssl message") || all.contains("plaintext connection")) {
            return TlsFailure.NOT_TLS;
        }
        if (all.contains("protocol_version") || all.contains("no appropriate protocol")
                || all.contains("protocol is disabled")) {
            return TlsFailure.PROTOCOL_VERSION;
        }
        return certificateProblem ? TlsFailure.CERTIFICATE_UNTRUSTED : TlsFailure.OTHER;
    }

    /**
     * The TLS security level of the session as outbound delivery would judge it; with a policy to check, a
     * session that does not meet it stops the probe (exit 1) after saying what failed.
     */
    private void judgeTls() throws Stop {
        if (policy == null) {
            boolean verified = tlsProtocol != null && !options.insecure();
            tlsSecurity = TlsSecurity.of(tlsProtocol == null ? SecurityLevel.NONE : SecurityLevel.OPPORTUNISTIC,
                    tlsProtocol == null ? "no TLS" : verified ? "certificate verified, no DANE or MTA-STS checked"
                            : "certificate not checked");
            return;
        }
        TlsSecurity aim = TlsSecurity.of(policy.level(), policy.decidedBy());
        String failure = null;
        String detail = null;
        if (policy.refusal() != null) {
            failure = "refused";
            detail = policy.refusal();
        } else if (tlsProtocol == null) {
            failure = TlsRptResult.STARTTLS_NOT_SUPPORTED.type();
            detail = "no TLS session";
        } else if (policy.trust() != null && policy.trust().failure() != null) {
            failure = policy.trust().failure().type();
            detail = policy.trust().detail();
        }
        if (failure == null) {
            tlsSecurity = aim;
            event(Step.TLS, EventKind.POLICY_MET, Map.of("level", aim.level().label(), "record", aim.decidedBy()));
            return;
        }
        tlsSecurity = new TlsSecurity(tlsProtocol == null ? SecurityLevel.NONE : SecurityLevel.OPPORTUNISTIC,
                aim.decidedBy(), null, detail);
        event(Step.TLS, EventKind.POLICY_FAILED, Map.of("record", aim.decidedBy(), "failure", failure,
                "detail", detail == null ? "" : detail));
        Stop stop = Stop.of(Problem.TLS_POLICY, Step.TLS, failure + ": " + detail);
        throw stop.quitting();
    }

    private void authenticate() throws Stop {
        if (!offers("AUTH")) {
            throw Stop.of(Problem.AUTH_NOT_OFFERED, Step.AUTH, null).quitting();
        }
        if (tlsProtocol == null && !options.authWithoutTls()) {
            throw Stop.of(Problem.AUTH_NOT_ENCRYPTED, Step.AUTH, null).quitting();
        }
        List<String> mechanisms = mechanisms();
        SmtpReply reply;
        if (mechanisms.contains("PLAIN")) {
            String response = base64(credentials('\0' + options.user() + '\0'));
            reply = command(Step.AUTH, "AUTH PLAIN " + response, "AUTH PLAIN " + MASK);
            if (reply.code() == 334) {
                reply = command(Step.AUTH, response, MASK);
            }
        } else if (mechanisms.contains("LOGIN")) {
            reply = command(Step.AUTH, "AUTH LOGIN");
            if (reply.code() == 334) {
                String user = base64(options.user().getBytes(StandardCharsets.UTF_8));
                reply = command(Step.AUTH, user);
            }
            if (reply.code() == 334) {
                reply = command(Step.AUTH, base64(credentials("")), MASK);
            }
        } else {
            throw Stop.of(Problem.AUTH_NO_MECHANISM, Step.AUTH, null).quitting();
        }
        if (reply.code() != 235) {
            if (reply.code() == 334) {
                // A third challenge: not an exchange this client knows; cancel it (RFC 4954 §4).
                command(Step.AUTH, "*");
            }
            throw Stop.refused(Step.AUTH, reply, reply.code() != 421);
        }
        authenticated = true;
    }

    /** {@code prefix} followed by the password, as UTF-8, without turning the password into a String. */
    private byte[] credentials(String prefix) {
        char[] all = new char[prefix.length() + options.password().length];
        prefix.getChars(0, prefix.length(), all, 0);
        System.arraycopy(options.password(), 0, all, prefix.length(), options.password().length);
        ByteBuffer encoded = StandardCharsets.UTF_8.encode(CharBuffer.wrap(all));
        Arrays.fill(all, '\0');
        byte[] bytes = new byte[encoded.remaining()];
        encoded.get(bytes);
        return bytes;
    }

    private static String base64(byte[] bytes) {
        String encoded = Base64.getEncoder().encodeToString(bytes);
        Arrays.fill(bytes, (byte) 0);
        return encoded;
    }

    private void send() throws Stop {
        byte[] message = testMessage();
        String sender = options.sender();
        StringBuilder mail = new StringBuilder("MAIL FROM:<").append(sender).append('>');
        if (offers("SIZE")) {
            mail.append(" SIZE=").append(message.length);
        }
        if (offers("SMTPUTF8") && !isAscii(sender + options.to())) {
            mail.append(" SMTPUTF8");
        }
        SmtpReply reply = command(Step.MAIL, mail.toString());
        if (reply.code() / 100 != 2) {
            throw Stop.refused(Step.MAIL, reply, reply.code() != 421);
        }
        reply = command(Step.RCPT, "RCPT TO:<" + options.to() + ">");
        if (reply.code() / 100 != 2) {
            throw Stop.refused(Step.RCPT, reply, reply.code() != 421);
        }
        reply = command(Step.DATA, "DATA");
        if (reply.code() != 354) {
            throw Stop.refused(Step.DATA, reply, reply.code() != 421);
        }
        try {
            connection.sendRaw(message);
        } catch (IOException e) {
            throw failure(Stop.of(Problem.IO_ERROR, Step.MESSAGE, message(e)));
        }
        event(Step.MESSAGE, EventKind.MESSAGE, Map.of("bytes", String.valueOf(message.length)));
        reply = read(Step.MESSAGE);
        if (reply.code() / 100 != 2) {
            throw Stop.refused(Step.MESSAGE, reply, reply.code() != 421);
        }
    }

    /** A small plain-text message, dot-stuffed, ending in CRLF.CRLF. */
    private byte[] testMessage() {
        String id = UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        String text = "Date: " + DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now()) + "\r\n"
                + "From: <" + options.sender() + ">\r\n"
                + "To: <" + options.to() + ">\r\n"
                + "Subject: Posthorn probe test message\r\n"
                + "Message-ID: <probe." + id + "@" + options.ehloName() + ">\r\n"
                + "MIME-Version: 1.0\r\n"
                + "Content-Type: text/plain; charset=us-ascii\r\n"
                + "\r\n"
                + "This is a test message from 'posthorn probe', sent to check that\r\n"
                + options.address() + " accepts mail. It can be deleted.\r\n"
                + ".\r\n";
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private void quit() {
        if (connection == null) {
            return;
        }
        try {
            command(Step.QUIT, "QUIT");
        } catch (Stop ignored) {
            // The outcome is decided; a server that hangs up at QUIT changes nothing.
        }
    }

    // ---- the wire ----

    private SmtpReply command(Step step, String line) throws Stop {
        return command(step, line, line);
    }

    private SmtpReply command(Step step, String line, String shown) throws Stop {
        add(new TranscriptEntry.Sent(step, shown));
        try {
            connection.send(line);
        } catch (IOException e) {
            throw failure(Stop.of(Problem.CONNECTION_CLOSED, step, message(e)));
        }
        return read(step);
    }

    private SmtpReply read(Step step) throws Stop {
        try {
            SmtpReply reply = connection.readReply();
            add(new TranscriptEntry.Received(step, reply));
            return reply;
        } catch (SocketTimeoutException e) {
            event(step, EventKind.TIMEOUT, Map.of("millis", String.valueOf(options.replyTimeout().toMillis())));
            throw Stop.of(Problem.REPLY_TIMEOUT, step, message(e));
        } catch (EOFException e) {
            event(step, EventKind.CLOSED, Map.of());
            throw Stop.of(Problem.CONNECTION_CLOSED, step, message(e));
        } catch (SmtpConnection.NotSmtpException e) {
            throw failure(Stop.of(Problem.NOT_SMTP, step, e.line()));
        } catch (SocketException e) {
            event(step, EventKind.CLOSED, Map.of());
            throw Stop.of(Problem.CONNECTION_CLOSED, step, message(e));
        } catch (IOException e) {
            throw failure(Stop.of(Problem.IO_ERROR, step, message(e)));
        }
    }

    // ---- bookkeeping ----

    private boolean offers(String keyword) {
        return capabilities.stream().anyMatch(c -> c.equals(keyword) || c.startsWith(keyword + " ")
                || c.startsWith(keyword + "="));
    }

    private List<String> mechanisms() {
        return capabilities.stream()
                .filter(c -> c.startsWith("AUTH ") || c.startsWith("AUTH="))
                .flatMap(c -> Arrays.stream(c.substring(5).trim().split("\\s+")))
                .toList();
    }

    private void add(TranscriptEntry entry) {
        transcript.add(entry);
        listener.accept(entry);
    }

    private void event(Step step, EventKind kind, Map<String, String> values) {
        add(new Event(step, kind, values));
    }

    /** Writes the failure into the transcript, then hands the stop back to be thrown. */
    private Stop failure(Stop stop) {
        event(stop.step, EventKind.FAILED, Map.of("error", stop.error == null ? "" : stop.error));
        return stop;
    }

    private ProbeResult result(boolean reached, Stop stop) {
        return new ProbeResult(options, transcript, reached,
                stop == null ? null : stop.problem,
                stop == null ? null : stop.step,
                stop == null ? null : stop.reply,
                stop == null ? null : stop.error,
                stop == null ? null : stop.tlsFailure,
                inspector == null ? null : inspector.report(),
                tlsProtocol, capabilities, tlsOfferedInPlain, authenticated, tlsSecurity);
    }

    private static String message(Exception e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    private static int millis(Duration d) {
        return Math.toIntExact(Math.max(1, Math.min(Integer.MAX_VALUE, d.toMillis())));
    }

    private static boolean isAscii(String s) {
        return s.chars().allMatch(c -> c < 0x80);
    }

    private static void close(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // Never connected: nothing to close cleanly.
        }
    }

    /** Ends the session early: why, at which step, and whether the connection is still good for a QUIT. */
    private static final class Stop extends Exception {
        final Problem problem;
        final Step step;
        final String error;
        SmtpReply reply;
        TlsFailure tlsFailure;
        boolean quit;

        private Stop(Problem problem, Step step, String error) {
            super(problem + " at " + step, null, false, false);
            this.problem = problem;
            this.step = step;
            this.error = error;
        }

        static Stop of(Problem problem, Step step, String error) {
            return new Stop(problem, step, error);
        }

        static Stop refused(Step step, SmtpReply reply, boolean quit) {
            Stop stop = new Stop(Problem.REFUSED, step, null);
            stop.reply = reply;
            stop.quit = quit;
            return stop;
        }

        Stop quitting() {
            quit = true;
            return this;
        }
    }
}
