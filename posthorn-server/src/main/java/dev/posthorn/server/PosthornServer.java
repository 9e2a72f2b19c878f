package dev.posthorn.server;

import dev.posthorn.auth.AuthThrottle;
import dev.posthorn.auth.CredentialStore;
import dev.posthorn.auth.PasswdFile;
import dev.posthorn.auth.SaslMechanisms;
import dev.posthorn.config.PosthornConfig;
import dev.posthorn.delivery.LocalDelivery;
import dev.posthorn.metrics.MicrometerMetrics;
import dev.posthorn.policy.HostedDomains;
import dev.posthorn.policy.MailPolicy;
import dev.posthorn.policy.MessageAuthentication;
import dev.posthorn.delivery.CatalogueExplainer;
import dev.posthorn.delivery.ReplyExplainer;
import dev.posthorn.delivery.dsn.DsnBuilder;
import dev.posthorn.delivery.remote.ClientSettings;
import dev.posthorn.delivery.remote.SecureDelivery;
import dev.posthorn.delivery.remote.Router;
import dev.posthorn.delivery.target.DeliveryTargets;
import dev.posthorn.delivery.target.LmtpClientConnector;
import dev.posthorn.delivery.target.OutboundFilter;
import dev.posthorn.queue.ControlDesk;
import dev.posthorn.queue.FileQueueStore;
import dev.posthorn.queue.PgQueueStore;
import dev.posthorn.queue.QueueStore;
import dev.posthorn.queue.Scheduler;
import dev.posthorn.spool.DiskSpace;
import dev.posthorn.spool.Envelope;
import dev.posthorn.spool.EnvelopeRecipient;
import dev.posthorn.spool.SpoolWriter;
import dev.posthorn.smtp.listener.ConnectionLimiter;
import dev.posthorn.smtp.listener.SessionWatchdog;
import dev.posthorn.smtp.listener.SmtpListener;
import dev.posthorn.smtp.protocol.ListenerRole;
import dev.posthorn.smtp.session.SessionServices;
import dev.posthorn.smtp.session.SmtpSession;
import dev.posthorn.spool.Spool;
import dev.posthorn.store.DirectoryStore;
import dev.posthorn.store.StoreBackend;
import dev.posthorn.tls.ServerTls;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
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
    private final QueueStore queue;
    private final Scheduler scheduler;
    private final ControlDesk controlDesk;
    private final Spool spool;
    private final HostedDomains domains;
    private final LocalDelivery localDelivery;
    private final SessionServices services;
    private final ServerTls tls;
    private final StoreBackend store;
    private final SecureDelivery secureDelivery;
    private final MessageAuthentication authentication;
    private final DiskSpace diskSpace;
    private final AdminLogin adminLogin;
    private SessionWatchdog watchdog;
    /** Counters and gauges of this server for {@code /metrics}: one registry per server, so embedded ones add nothing up. */
    private final MicrometerMetrics metrics = new MicrometerMetrics();

    /**
     * Mail acknowledged on the files store and still in this node's spool (after its journal's replay) would never
     * be delivered once the queue is in PostgreSQL: no node reads the local spool then. Rather than keep a 250
     * that is never honoured, the node does not start until that spool is empty.
     */
    private static void refuseLocalBacklog(Spool spool, Path dataDir) throws IOException {
        int waiting = spool.storedIds().size();
        if (waiting > 0) {
            throw new IOException(waiting + " message(s) accepted on the files store are still in " + spool.directory()
                    + " and would not be delivered from PostgreSQL; start this node with [store] kind = \"files\""
                    + " until the queue is empty (posthorn queue list --data-dir " + dataDir + "), then switch");
        }
    }

    private PosthornServer(PosthornConfig config, String hostname, Path dataDir, StoreBackend store, TestMode testMode)
            throws IOException {
        this.config = config;
        this.hostname = hostname;
        this.dataDir = dataDir;
        this.store = store;
        DirectoryStore users = store.directory();
        seedConfiguredDomains(users);
        this.domains = new HostedDomains(config.server.domains, users);
        PasswdFile passwdFile = config.auth.passwdFile == null ? null : new PasswdFile(Path.of(config.auth.passwdFile));
        CredentialStore credentials = CredentialStore.of(users, passwdFile);
        Mailboxes mailboxes = new Mailboxes(users, credentials);
        // The spool first: its lock keeps a second server off this data directory before anything here is written
        // (a self-signed certificate, say). Everything after it is inside the try that closes it again: an open
        // spool holds its lock and threads, which a constructor that throws could never give back.
        // With PostgreSQL the queue is the database's, shared by every node: the spool commits each message there
        // (before the 250) instead of to its journal.
        PgQueueStore shared = store.database().map(db -> new PgQueueStore(db, Clock.systemUTC(),
                Duration.ofSeconds(config.store.leaseSeconds), Duration.ofMillis(config.store.pollMillis),
                dataDir.resolve("queue").resolve("pg-content"))).orElse(null);
        this.spool = new Spool(dataDir.resolve("queue"), shared);
        try {
            this.tls = ServerTls.create(config.tls, dataDir, hostname);
            this.authentication = MailAuthSetup.create(config, hostname, dataDir, domains, store);
            this.localDelivery = new LocalDelivery(dataDir.resolve("mail"), hostname, mailboxes.owner());
            if (shared != null) {
                refuseLocalBacklog(spool, dataDir);
                shared.open();
                this.queue = shared;
            } else {
                java.nio.file.Files.deleteIfExists(spool.directory().resolve(PgQueueStore.MARKER));
                this.queue = new FileQueueStore(spool, Clock.systemUTC());
            }
            this.secureDelivery = SecureDelivery.create(config.outboundTls, config.dns, dataDir, hostname,
                    Clock.systemUTC(), (recipient, message) -> queueNotice(recipient, message, false));
            this.scheduler = scheduler(config);
            this.controlDesk = new ControlDesk(spool.directory(), queue, scheduler.inFlight(), Clock.systemUTC());
        } catch (IOException | RuntimeException e) {
            if (shared != null) {
                shared.close();
            }
            spool.close();
            throw e;
        }
        this.diskSpace = new DiskSpace(spool.directory(), config.limits.minFreeDiskMb * 1024 * 1024);
        MailPolicy policy = new MailPolicy(domains, mailboxes, config.auth.senderBinding, config.routes.keySet(),
                diskSpace);
        AuthThrottle throttle = new AuthThrottle(config.auth);
        this.adminLogin = new AdminLogin(throttle, credentials, users);
        PosthornConfig.Limits limits = config.limits;
        CaptureSink capture = testMode.capture();
        if (capture != null) {
            policy = policy.acceptingEveryRecipient();
        }
        this.services = new SessionServices(hostname, Version.current(), policy, spool,
                capture == null ? scheduler::accepted : envelope -> captured(envelope, capture),
                tls, new SaslMechanisms(credentials), address -> new ThrottleGate(throttle, address),
                new SessionServices.SessionLimits(limits.maxMessageSize, limits.maxRecipients, limits.maxErrors,
                        limits.maxHops, Duration.ofSeconds(limits.commandTimeoutSeconds),
                        Duration.ofSeconds(limits.dataTimeoutSeconds),
                        Duration.ofSeconds(limits.sessionTimeoutSeconds), limits.forbidUnauthPipelining),
                Clock.systemDefaultZone(), authentication, metrics, testMode.script());
        QueueGauges.register(metrics.registry(), queue, spool, Clock.systemUTC());
    }

    /**
     * @throws dev.posthorn.store.StoreException when the store's database cannot be reached or migrated (one
     *         line: the URL, the cause and the fix)
     */
    public static PosthornServer start(PosthornConfig config) throws IOException {
        return start(config, TestMode.OFF);
    }

    /** A server in test mode: scripted replies and/or captured mail ({@link TestMode}). */
    public static PosthornServer start(PosthornConfig config, TestMode testMode) throws IOException {
        String hostname = config.server.hostname.isEmpty() ? SystemHostname.get() : config.server.hostname;
        Path dataDir = Files.createDirectories(Path.of(config.server.dataDir).toAbsolutePath());
        StoreBackend store = StoreBackend.openForNode(config.store, dataDir, hostname);
        PosthornServer server;
        try {
            server = new PosthornServer(config, hostname, dataDir, store, testMode);
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e;
        }
        try {
            if (testMode.capture() == null) {
                server.secureDelivery.start();
                server.scheduler.start();
            } else {
                // Capture mode delivers nothing: neither what it captures nor what an earlier run left queued in
                // this data directory (nor TLS reports). The queue stays on disk, untouched, for a normal start.
                LOG.info("capture mode: outbound delivery is off; {} message(s) queued in {} stay there",
                        server.queue.messages().size(), server.spool.directory());
            }
            server.controlDesk.start();
            server.watchdog = new SessionWatchdog(server.sessions, server.services.clock());
            server.openListeners();
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
        return server;
    }

    /**
     * In a shared store, this node's {@code server.domains} are written to the database (once; adding one that
     * is there changes nothing), so every node and {@code posthorn domain list} see them. The files store is
     * this node's alone: its configured domains stay in the configuration.
     */
    private void seedConfiguredDomains(DirectoryStore users) {
        if (store.database().isEmpty()) {
            return;
        }
        for (String domain : config.server.domains) {
            if (users.addDomain(domain)) {
                LOG.info("domain {} from server.domains added to {}", domain, users.describe());
            }
        }
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

    /**
     * The one scheduler: local mailboxes (Maildir or LMTP per [delivery]) and remote routes (MX lookups on the
     * configured resolvers, static routes, the smarthost), retries and DSNs explained from the codes catalogue.
     */
    private Scheduler scheduler(PosthornConfig config) {
        ReplyExplainer explainer = new CatalogueExplainer();
        Router router = new Router(config.routes, config.relay, config.queue, config.queue.remotePort);
        // MX lookups through SecureDelivery's resolver (DNSSEC-validating when DANE is on) and the DANE / MTA-STS
        // policies in the client settings: RemoteSmtpTarget's DestinationSession applies them per MX host.
        DeliveryTargets targets = new DeliveryTargets(config.delivery, localDelivery, router, secureDelivery.resolver(),
                ClientSettings.from(hostname, config.queue).withSecurity(secureDelivery.security()), config.queue,
                OutboundFilter.NONE, new LmtpClientConnector(hostname));
        return new Scheduler(queue, targets, config.queue, new DsnBuilder(explainer, java.time.ZoneId.systemDefault()),
                hostname, this::queueNotice, explainer, Clock.systemUTC(), metrics);
    }

    /**
     * Test mode: the message goes to the capture sink instead of the queue, then leaves the spool. Called before
     * the {@code 250} is sent: should its content not be readable, the message is taken out of the spool again
     * and the transaction fails ({@code 451 4.3.0}, see {@link SessionServices#onAccepted()}); it is never queued,
     * since capture mode accepted its recipients as local whatever their domain.
     */
    private void captured(Envelope envelope, CaptureSink capture) {
        byte[] content;
        try (java.io.InputStream in = spool.openContent(envelope.id())) {
            content = in.readAllBytes();
        } catch (IOException e) {
            LOG.error("capture: cannot read {} from the spool, the transaction fails: {}", envelope.id(), e.toString());
            removeCaptured(envelope.id());
            throw new java.io.UncheckedIOException(e);
        }
        try {
            capture.accepted(envelope, content);
        } catch (RuntimeException e) {
            LOG.error("capture: the sink failed on {}", envelope.id(), e);
        }
        removeCaptured(envelope.id());
    }

    /** Out of the spool once captured; a failure leaves files that the next start would queue, so it is logged. */
    private void removeCaptured(String id) {
        spool.remove(id).whenComplete((done, failure) -> {
            if (failure != null) {
                LOG.error("capture: {} could not be removed from the spool {}: {}", id, spool.directory(),
                        failure.toString());
            }
        });
    }

    /** A DSN goes through the queue like any message: null reverse-path, one recipient (RFC 3461 §6). */
    private void queueNotice(String recipient, byte[] message, boolean eightBit) throws IOException {
        String domain = recipient.substring(recipient.lastIndexOf('@') + 1);
        // Signed for the domain of its From (MAILER-DAEMON@hostname, a TLS report's tls_rpt_from) when we hold a key
        // for it, else for the host name: DMARC passes at the receiver (RFC 8460 §5.3 for TLS reports).
        byte[] signature = authentication.signGenerated(message, hostname).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try (SpoolWriter writer = spool.begin()) {
            writer.content().write(signature);
            writer.content().write(message);
            Envelope envelope = new Envelope(writer.id(), Clock.systemUTC().instant(), "",
                    List.of(new EnvelopeRecipient(recipient, java.util.Set.of(), null, hostedForQueueing(domain))),
                    eightBit ? "8BITMIME" : "7BIT", !recipient.chars().allMatch(c -> c < 128), null, null, null,
                    "127.0.0.1", hostname, signature.length + message.length);
            writer.commit(envelope);
            scheduler.accepted(envelope);
        }
    }

    /** DANE, MTA-STS and TLS-RPT of outbound delivery (the TLS report figures, the report sender). */
    public SecureDelivery secureDelivery() {
        return secureDelivery;
    }

    public Scheduler scheduler() {
        return scheduler;
    }

    public Spool spool() {
        return spool;
    }

    /** Where remote mail goes, in one line for the start-up banner. */
    public String outboundSummary() {
        StringBuilder s = new StringBuilder();
        if (config.relay.enabled()) {
            s.append("via smarthost ").append(config.relay.host).append(':').append(config.relay.port);
        } else {
            s.append("to each domain's MX").append(config.dns.servers.isEmpty() ? "" : " (DNS: "
                    + String.join(", ", config.dns.servers) + ")");
        }
        if (!config.routes.isEmpty()) {
            s.append(", ").append(config.routes.size()).append(" static route(s)");
        }
        return s.toString();
    }

    /** Writes a message into the queue as if it had been received (for embedding and tests). */
    public String enqueue(String sender, List<String> recipients, byte[] message) throws IOException {
        return enqueue(sender, recipients.stream().map(r -> new EnvelopeRecipient(r, java.util.Set.of(), null,
                hostedForQueueing(r.substring(r.lastIndexOf('@') + 1)))).toList(), null, null, false, message);
    }

    /**
     * Whether a generated message's recipient is ours. Queuing it must not need the directory: a bounce or delay
     * notice that cannot be queued while the database is down is lost once Notices gives up. A domain the store
     * cannot be asked about is taken as remote: a sender of ours gets it through our MX, which takes it once the
     * database is back (until then it answers 451 and the queue retries).
     */
    private boolean hostedForQueueing(String domain) {
        try {
            return domains.isHosted(domain);
        } catch (java.io.UncheckedIOException e) {
            LOG.warn("queuing for a recipient at {}: directory unavailable, routed as remote: {}", domain,
                    e.getMessage());
            return false;
        }
    }

    /** As above, with the DSN parameters of RFC 3461 (NOTIFY and ORCPT per recipient, RET, ENVID) and SMTPUTF8. */
    public String enqueue(String sender, List<EnvelopeRecipient> recipients, String ret, String envid, boolean smtputf8,
                          byte[] message) throws IOException {
        try (SpoolWriter writer = spool.begin()) {
            writer.content().write(message);
            Envelope envelope = new Envelope(writer.id(), Clock.systemUTC().instant(), sender, recipients,
                    "8BITMIME", smtputf8, ret, envid, null, "127.0.0.1", hostname, message.length);
            writer.commit(envelope);
            scheduler.accepted(envelope);
            return writer.id();
        }
    }

    /**
     * Whether this server can take mail now ({@code /health/ready}): every listener bound, the spool's journal
     * writing and its directory writable, and the free disk space above {@code [limits] min_free_disk_mb}.
     */
    public Readiness readiness() {
        boolean listening = !listeners.isEmpty() && listeners.stream().allMatch(SmtpListener::listening);
        boolean spoolWritable = spool.journalHealthy() && Files.isWritable(spool.directory());
        return new Readiness(listening, spoolWritable, diskSpace.hasRoomFor(0));
    }

    /** The domains of {@code server.domains} in the configuration (the store may hold more). */
    public List<String> hostedDomainsConfigured() {
        return List.copyOf(config.server.domains);
    }

    /** The configured resolvers ({@code [dns]}), for lookups outside delivery: the console's DNS check. */
    public dev.posthorn.delivery.DnsConfig dnsConfig() {
        return config.dns;
    }

    /** The console's login, sharing the SMTP AUTH throttle. */
    public AdminLogin adminLogin() {
        return adminLogin;
    }

    /** This server's counters and gauges, in the Prometheus text format by {@link MicrometerMetrics#scrape()}. */
    public MicrometerMetrics metrics() {
        return metrics;
    }

    /** Where users and domains live (files or the shared database). */
    public StoreBackend store() {
        return store;
    }

    public ServerTls tls() {
        return tls;
    }

    public QueueStore queue() {
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
        if (watchdog != null) {
            watchdog.close();
        }
        scheduler.close();
        controlDesk.close();
        secureDelivery.close(); // after the scheduler: the last sessions' TLS-RPT figures are flushed
        queue.close();
        if (!(queue instanceof FileQueueStore)) {
            spool.close(); // the files store closes it; with a shared queue it only held the lock and the journal
        }
        store.close();
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
