package dev.posthorn.server;

import dev.posthorn.auth.AuthThrottle;
import dev.posthorn.auth.CredentialStore;
import dev.posthorn.auth.PasswdFile;
import dev.posthorn.auth.SaslMechanisms;
import dev.posthorn.cli.Version;
import dev.posthorn.config.PosthornConfig;
import dev.posthorn.delivery.LocalDelivery;
import dev.posthorn.policy.HostedDomains;
import dev.posthorn.policy.MailPolicy;
import dev.posthorn.queue.QueueManager;
import dev.posthorn.smtp.listener.ConnectionLimiter;
import dev.posthorn.smtp.listener.SmtpListener;
import dev.posthorn.smtp.protocol.ListenerRole;
import dev.posthorn.smtp.session.SessionServices;
import dev.posthorn.smtp.session.SmtpSession;
import dev.posthorn.spool.Spool;
import dev.posthorn.store.UserStore;
import dev.posthorn.tls.ServerTls;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Posthorn: listeners, sessions, spool, queue and delivery wired together from a configuration.
 * Also the embedding API: {@code try (var server = PosthornServer.start(config)) { ... }}.
 */
public final class PosthornServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PosthornServer.class);

    private final PosthornConfig config;
    private final String hostname;
    private final Path dataDir;
    private final Set<SmtpSession> sessions = SmtpListener.newSessionSet();
    private final List<SmtpListener> listeners = new ArrayList<>();
    private final QueueManager queue;
    private final LocalDelivery localDelivery;
    private final SessionServices services;
    private final ServerTls tls;

    private PosthornServer(PosthornConfig config) throws IOException {
        this.config = config;
        this.hostname = config.server.hostname.isEmpty() ? SystemHostname.get() : config.server.hostname;
        this.dataDir = Files.createDirectories(Path.of(config.server.dataDir).toAbsolutePath());
        HostedDomains domains = new HostedDomains(new HashSet<>(config.server.domains));
        UserStore users = UserStore.open(dataDir);
        PasswdFile passwdFile = config.auth.passwdFile == null ? null : new PasswdFile(Path.of(config.auth.passwdFile));
        CredentialStore credentials = CredentialStore.of(users, passwdFile);
        Mailboxes mailboxes = new Mailboxes(users, credentials);
        MailPolicy policy = new MailPolicy(domains, mailboxes, config.auth.senderBinding);
        Spool spool = new Spool(dataDir.resolve("queue"));
        this.localDelivery = new LocalDelivery(dataDir.resolve("mail"), hostname, mailboxes.owner());
        this.queue = new QueueManager(spool, localDelivery);
        this.tls = ServerTls.create(config.tls, dataDir, hostname);
        AuthThrottle throttle = new AuthThrottle(config.auth);
        PosthornConfig.Limits limits = config.limits;
        this.services = new SessionServices(hostname, Version.current(), policy, spool, queue::accepted,
                tls, new SaslMechanisms(credentials), address -> new ThrottleGate(throttle, address),
                new SessionServices.SessionLimits(limits.maxMessageSize, limits.maxRecipients, limits.maxErrors,
                        limits.maxHops, Duration.ofSeconds(limits.commandTimeoutSeconds),
                        Duration.ofSeconds(limits.dataTimeoutSeconds),
                        Duration.ofSeconds(limits.sessionTimeoutSeconds), limits.forbidUnauthPipelining),
                Clock.systemDefaultZone());
    }

    public static PosthornServer start(PosthornConfig config) throws IOException {
        PosthornServer server = new PosthornServer(config);
        try {
            server.queue.start();
            server.openListeners();
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
        return server;
    }

    private void openListeners() throws IOException {
        PosthornConfig.Limits limits = config.limits;
        ConnectionLimiter limiter = new ConnectionLimiter(limits.maxConnections, limits.maxConnectionsPerIp);
        for (String bind : config.listen.bind) {
            InetAddress address = InetAddress.getByName(bind);
            open(address, config.listen.mxPort, ListenerRole.MX, false, limiter);
            open(address, config.listen.submissionPort, ListenerRole.SUBMISSION, false, limiter);
            open(address, config.listen.smtpsPort, ListenerRole.SUBMISSIONS, true, limiter);
        }
    }

    private void open(InetAddress address, int port, ListenerRole role, boolean implicitTls,
            ConnectionLimiter limiter) throws IOException {
        if (port <= 0) {
            return;
        }
        SmtpListener listener = new SmtpListener(new InetSocketAddress(address, port), role, implicitTls, services,
                limiter, sessions);
        try {
            listener.start();
        } catch (IOException e) {
            throw new IOException("cannot listen on " + address.getHostAddress() + ":" + port + " (" + role
                    + "): " + e.getMessage(), e);
        }
        listeners.add(listener);
        LOG.info("listening on {}:{} ({}{})", address.getHostAddress(), listener.port(), role,
                implicitTls ? ", implicit TLS" : "");
    }

    public String hostname() {
        return hostname;
    }

    public Path dataDir() {
        return dataDir;
    }

    public Path mailRoot() {
        return dataDir.resolve("mail");
    }

    public List<SmtpListener> listeners() {
        return List.copyOf(listeners);
    }

    /** The bound port of the first listener with this role (useful when configured as 0... or ephemeral). */
    public int port(ListenerRole role) {
        return listeners.stream().filter(l -> l.role() == role).findFirst()
                .orElseThrow(() -> new IllegalStateException("no " + role + " listener")).port();
    }

    public ServerTls tls() {
        return tls;
    }

    public QueueManager queue() {
        return queue;
    }

    public LocalDelivery localDelivery() {
        return localDelivery;
    }

    /**
     * Stops accepting, tells every open session {@code 421 4.3.2} (idle ones at once, busy ones after their
     * command), waits for the grace period, then cuts what is left and lets delivery finish.
     */
    @Override
    public void close() {
        listeners.forEach(SmtpListener::close);
        sessions.forEach(SmtpSession::shutdown);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(config.limits.shutdownGraceSeconds);
        while (!sessions.isEmpty() && System.nanoTime() < deadline) {
            sleep(20);
        }
        sessions.forEach(SmtpSession::kill);
        queue.close();
        LOG.info("stopped");
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
