package dev.posthorn.junit;

import dev.posthorn.config.ConfigException;
import dev.posthorn.config.ConfigLoader;
import dev.posthorn.config.PosthornConfig;
import dev.posthorn.server.PosthornServer;
import dev.posthorn.server.TestMode;
import dev.posthorn.smtp.protocol.ListenerRole;
import dev.posthorn.smtp.session.ReplyScript;
import dev.posthorn.store.UserStore;
import dev.posthorn.testmode.CapturedMessage;
import dev.posthorn.testmode.MailCapture;
import dev.posthorn.testmode.MailQuery;
import dev.posthorn.testmode.Script;
import dev.posthorn.testmode.ScriptEvent;
import dev.posthorn.testmode.ScriptFile;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real Posthorn SMTP server for an application's tests:
 * <pre>
 * &#64;RegisterExtension
 * static PosthornExtension mail = PosthornExtension.start().withSubmission().withUser("app&#64;localhost", "secret");
 * </pre>
 * Registered on a static field, one server serves the class; on an instance field, or with {@link #perMethod()},
 * each test gets its own. Either way each test starts with an empty mailbox and the script as built here: rules a
 * test adds ({@code mail.script().at(RCPT)...}) and their state (counters, greylisting) end with it.
 *
 * <p>Every accepted message is captured, whatever its recipient domain, and delivered nowhere. Address triggers
 * work without code: a recipient {@code 451-4.7.1@fail.test} gets exactly that reply.
 */
public final class PosthornExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
        AfterEachCallback {

    private String hostname = "localhost";
    private boolean submission;
    private boolean perMethod;
    private Clock clock = Clock.systemUTC();
    private String triggerDomain = Script.DEFAULT_TRIGGER_DOMAIN;
    private Path keepMailIn;
    private Path scriptFile;
    private Duration awaitTimeout = Duration.ofSeconds(5);
    private final Map<String, String> users = new LinkedHashMap<>();
    private final List<java.util.function.Consumer<Script>> scripting = new ArrayList<>();

    private PosthornServer server;
    private Path dataDir;
    private Script script;
    private MailCapture capture;
    private SSLContext sslContext;

    private PosthornExtension() {
    }

    /** A server on free loopback ports: MX port only, no users, a script with address triggers only. */
    public static PosthornExtension start() {
        return new PosthornExtension();
    }

    /** Also a submission port (587-style): STARTTLS with a generated certificate ({@link #sslContext()}), then AUTH. */
    public PosthornExtension withSubmission() {
        this.submission = true;
        return this;
    }

    /** A user who may AUTH on the submission port (its domain becomes a hosted domain). */
    public PosthornExtension withUser(String address, String password) {
        users.put(address, password);
        return this;
    }

    /** A new server for every test method, even when registered on a static field. */
    public PosthornExtension perMethod() {
        this.perMethod = true;
        return this;
    }

    /** The clock of stateful rules (greylisting, rate limits): a test that moves it tests them without waiting. */
    public PosthornExtension withClock(Clock clock) {
        this.clock = clock;
        return this;
    }

    /** The domain of address triggers ({@code fail.test} by default); null turns them off. */
    public PosthornExtension withTriggerDomain(String domain) {
        this.triggerDomain = domain;
        return this;
    }

    /** Rules every test of the class starts with. */
    public PosthornExtension withScript(java.util.function.Consumer<Script> rules) {
        scripting.add(rules);
        return this;
    }

    /** Rules from a TOML file ({@link ScriptFile}) every test starts with. */
    public PosthornExtension withScriptFile(Path file) {
        this.scriptFile = file;
        return this;
    }

    /** Also keep each captured message as {@code <id>.eml} in this directory. */
    public PosthornExtension keepMailIn(Path directory) {
        this.keepMailIn = directory;
        return this;
    }

    public PosthornExtension withHostname(String name) {
        this.hostname = name;
        return this;
    }

    /** How long {@code assertThat(mail).received(n)} waits for mail sent in the background (5 s by default). */
    public PosthornExtension awaitTimeout(Duration timeout) {
        this.awaitTimeout = timeout;
        return this;
    }

    // JUnit lifecycle

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        // Only for a static field: one server for the class, unless every method wants its own. A @Nested class
        // runs beforeAll again inside its outer class's: it shares the server the outer class started.
        if (!perMethod && server == null) {
            classScoped = true;
            startedBy = context.getUniqueId();
            startServer();
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        if (server == null) {
            startServer();
        } else {
            capture.clear();
            script.reset();
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        // A failed test whose application met scripted replies shows them: sent, answered, what the reply means.
        context.getExecutionException().ifPresent(failure -> {
            List<ScriptEvent> events = script == null ? List.of() : script.events();
            if (!events.isEmpty()) {
                failure.addSuppressed(new ScriptedRepliesReport(Explain.events(events)));
            }
        });
        if (!classScoped) {
            stopServer();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        // Only the class that started the server stops it: a @Nested class's end is not its outer class's.
        if (context.getUniqueId().equals(startedBy)) {
            stopServer();
            startedBy = null;
            classScoped = false;
        }
    }

    /** Started in beforeAll: lives until afterAll. */
    private boolean classScoped;

    /** The unique id of the class context whose beforeAll started the server (null when none did). */
    private String startedBy;

    private void startServer() throws IOException, GeneralSecurityException {
        dataDir = Files.createTempDirectory("posthorn-junit");
        for (Map.Entry<String, String> user : users.entrySet()) {
            UserStore.open(dataDir).add(user.getKey(), user.getValue().toCharArray());
        }
        script = new Script(clock, hostname, triggerDomain);
        if (scriptFile != null) {
            ScriptFile.rules(ScriptFile.read(scriptFile)).forEach(script::add);
        }
        scripting.forEach(s -> s.accept(script));
        script.seal();
        capture = new MailCapture(keepMailIn);
        server = startOnFreePorts(3);
        sslContext = trusting(dataDir.resolve("tls").resolve("selfsigned-fullchain.pem"));
    }

    private PosthornServer startOnFreePorts(int attempts) throws IOException {
        try {
            return PosthornServer.start(config(), new TestMode(script, capture));
        } catch (IOException e) {
            // A port found free a moment ago can be taken before we bind it: new ports, a few times.
            if (attempts > 1) {
                return startOnFreePorts(attempts - 1);
            }
            throw e;
        }
    }

    private PosthornConfig config() throws IOException {
        int mx = freePort();
        int sub = submission ? freePort() : 0;
        try {
            return ConfigLoader.load(null, c -> {
                c.server.hostname = hostname;
                c.server.dataDir = dataDir.toString();
                List<String> domains = new ArrayList<>(List.of(hostname));
                users.keySet().stream().map(a -> a.substring(a.lastIndexOf('@') + 1)).filter(d -> !domains.contains(d))
                        .distinct().forEach(domains::add);
                c.server.domains = domains;
                c.listen.bind = List.of("127.0.0.1");
                c.listen.mxPort = mx;
                c.listen.submissionPort = sub;
                c.listen.smtpsPort = 0;
                c.web.port = 0;
                c.limits.shutdownGraceSeconds = 1;
                c.limits.minFreeDiskMb = 0;
                // An application under test sends as whoever it likes: no sender binding, no mail authentication.
                c.auth.senderBinding = false;
                c.mailauth.enabled = false;
                // Nothing is delivered, so nothing asks DNS: no DANE or MTA-STS set-up at start.
                c.outboundTls.dane = false;
                c.outboundTls.mtaSts = false;
                c.relay.host = "127.0.0.1";
                c.relay.port = 9;
            });
        } catch (ConfigException e) {
            throw new IllegalStateException("posthorn-junit: " + e.getMessage(), e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static SSLContext trusting(Path pem) throws IOException, GeneralSecurityException {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(pem)) {
            int i = 0;
            for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trust.setCertificateEntry("posthorn-" + i++, certificate);
            }
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }

    private void stopServer() {
        if (server == null) {
            return;
        }
        server.close();
        server = null;
        try (Stream<Path> files = Files.walk(dataDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // What tests use

    private PosthornServer running() {
        if (server == null) {
            throw new IllegalStateException("the Posthorn server is not running: register the extension with "
                    + "@RegisterExtension and use it inside a test");
        }
        return server;
    }

    /** The host to connect to: {@code localhost} (the name the generated certificate is for). */
    public String host() {
        return hostname;
    }

    /** The MX port: no TLS required, no AUTH, every recipient accepted. */
    public int smtpPort() {
        return running().port(ListenerRole.MX);
    }

    /** The submission port: STARTTLS, then AUTH as a user given to {@link #withUser}. */
    public int submissionPort() {
        return running().port(ListenerRole.SUBMISSION);
    }

    /** An SSLContext that trusts the server's generated certificate (and nothing else). */
    public SSLContext sslContext() {
        running();
        return sslContext;
    }

    /** Jakarta Mail (Angus Mail) properties for the MX port. */
    public Properties smtpProperties() {
        Properties p = new Properties();
        p.put("mail.smtp.host", host());
        p.put("mail.smtp.port", String.valueOf(smtpPort()));
        p.put("mail.smtp.connectiontimeout", "10000");
        p.put("mail.smtp.timeout", "10000");
        return p;
    }

    /**
     * Jakarta Mail properties for the submission port: STARTTLS required, the server's certificate trusted through
     * {@link #sslContext()}, its name checked, AUTH on (give the password to the Session's Authenticator or to
     * {@code Transport.connect}).
     */
    public Properties submissionProperties() {
        Properties p = new Properties();
        p.put("mail.smtp.host", host());
        p.put("mail.smtp.port", String.valueOf(submissionPort()));
        p.put("mail.smtp.auth", "true");
        p.put("mail.smtp.starttls.enable", "true");
        p.put("mail.smtp.starttls.required", "true");
        p.put("mail.smtp.ssl.socketFactory", sslContext().getSocketFactory());
        p.put("mail.smtp.ssl.checkserveridentity", "true");
        p.put("mail.smtp.connectiontimeout", "10000");
        p.put("mail.smtp.timeout", "10000");
        return p;
    }

    /** The script: add rules for this test, {@code mail.script().at(RCPT).recipient("*@x.test").reply("550 5.1.1")}. */
    public Script script() {
        running();
        return script;
    }

    /** Shorthand for {@code script().at(stage)}. */
    public Script.When when(ReplyScript.Stage stage) {
        return script().at(stage);
    }

    /** What the script did to clients in this test: sent, answered, why. */
    public List<ScriptEvent> scriptedReplies() {
        return script().events();
    }

    /** The messages captured in this test, in the order they were accepted. */
    public List<CapturedMessage> messages() {
        running();
        return capture.messages();
    }

    public List<CapturedMessage> messages(MailQuery query) {
        running();
        return capture.messages(query);
    }

    /**
     * Waits until {@code count} messages match the query, at most {@code timeout}, and returns them; fails with
     * what was received and what the script replied otherwise.
     */
    public List<CapturedMessage> awaitMessages(MailQuery query, int count, Duration timeout) {
        running();
        List<CapturedMessage> found;
        try {
            found = capture.await(query, count, timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for mail", e);
        }
        if (found.size() < count) {
            throw new AssertionError(Explain.notReceived(query, count, found.size(), timeout, capture.messages(),
                    script.events()));
        }
        return found;
    }

    /** The one message matching the query, waiting for it as {@link #awaitMessages} does. */
    public CapturedMessage awaitMessage(MailQuery query, Duration timeout) {
        return awaitMessages(query, 1, timeout).get(0);
    }

    Duration awaitTimeout() {
        return awaitTimeout;
    }

    MailCapture capture() {
        running();
        return capture;
    }

    /** The server itself, for what this class does not offer. */
    public PosthornServer server() {
        return running();
    }

    /** Attached to a failed test's exception: the scripted replies its application met. */
    static final class ScriptedRepliesReport extends Exception {
        ScriptedRepliesReport(String text) {
            super(text, null, false, false);
        }
    }
}
