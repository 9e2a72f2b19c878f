package dev.posthorn.delivery.target;

import dev.posthorn.delivery.DeliveryConfig;
import dev.posthorn.delivery.LocalDelivery;
import dev.posthorn.delivery.QueueConfig;
import dev.posthorn.delivery.remote.ClientSettings;
import dev.posthorn.delivery.remote.DestinationSession;
import dev.posthorn.delivery.remote.MxResolver;
import dev.posthorn.delivery.remote.Router;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Chooses and opens delivery targets: a hosted recipient goes to its domain's local transport
 * ({@code delivery.domains}, else {@code delivery.local}: Maildir or LMTP), any other to the route the
 * {@link Router} picks (static route, smarthost or MX). Adding a store (PostgreSQL) is adding a case here and a
 * {@link DeliveryTarget}; the scheduler does not change.
 */
public final class DeliveryTargets {

    private final LocalDelivery mailboxes;
    private final LocalTransport defaultLocal;
    private final Map<String, LocalTransport> perDomain = new HashMap<>();
    private final Router router;
    private final MxResolver resolver;
    private final ClientSettings client;
    private final QueueConfig queue;
    private final OutboundFilter filter;
    private final LmtpConnector lmtp;
    private final int localConcurrency;
    private final int localBatch;
    private final int lmtpConnections;
    private final Duration localHold;

    /**
     * @param lmtp the LMTP client, or null in a build without one: then a configuration that names an LMTP
     *             server is refused here, at start-up, with the key to change
     * @throws IllegalArgumentException for a {@code [delivery]} value that cannot be used, naming the key
     */
    public DeliveryTargets(DeliveryConfig delivery, LocalDelivery mailboxes, Router router, MxResolver resolver,
                           ClientSettings client, QueueConfig queue, OutboundFilter filter, LmtpConnector lmtp) {
        this.mailboxes = mailboxes;
        this.router = router;
        this.resolver = resolver;
        this.client = client;
        this.queue = queue;
        this.filter = filter;
        this.lmtp = lmtp;
        this.localConcurrency = Math.max(1, delivery.localConcurrency);
        this.localBatch = Math.max(1, delivery.localBatch);
        this.lmtpConnections = Math.max(1, delivery.lmtpConnections);
        this.localHold = Duration.ofMillis((long) (Math.max(0, delivery.localHoldSeconds) * 1000));
        this.defaultLocal = usable(LocalTransport.parse(delivery.local, "delivery.local"), "delivery.local");
        for (Map.Entry<String, String> e : delivery.domains.entrySet()) {
            String key = "delivery.domains.\"" + e.getKey() + "\"";
            perDomain.put(normalise(e.getKey()), usable(LocalTransport.parse(e.getValue(), key), key));
        }
    }

    /** Checks a parsed value before use: {@link LocalTransport#parse} for the configuration validator. */
    public static void check(String value, String key) {
        LocalTransport.parse(value, key);
    }

    private LocalTransport usable(LocalTransport transport, String key) {
        if (transport instanceof LocalTransport.Lmtp l && lmtp == null) {
            throw new IllegalArgumentException(key + " = \"" + l.endpoint() + "\": this build has no LMTP client; "
                    + "use \"maildir\"");
        }
        return transport;
    }

    /** Where a recipient's copy goes. */
    public Destination destinationOf(String address, boolean local) {
        String domain = normalise(address.substring(address.lastIndexOf('@') + 1));
        if (!local) {
            return new Destination.Remote(router.route(domain), Math.max(1, queue.maxConnectionsPerDestination));
        }
        return switch (perDomain.getOrDefault(domain, defaultLocal)) {
            case LocalTransport.Maildir m -> new Destination.Mailbox(localConcurrency);
            case LocalTransport.Lmtp l -> new Destination.Lmtp(l.endpoint(), lmtpConnections);
        };
    }

    /** A target for one worker of this destination. */
    public DeliveryTarget open(Destination destination) {
        return switch (destination) {
            case Destination.Mailbox m -> new MaildirTarget(mailboxes, localBatch);
            case Destination.Lmtp l -> new LmtpTarget(l.endpoint(), lmtp, LmtpConnector.Deadlines.from(queue));
            case Destination.Remote r -> new RemoteSmtpTarget(new DestinationSession(r.route(), resolver, client,
                    queue.maxMessagesPerConnection), filter);
        };
    }

    /** How many transactions a worker of this destination makes durable together ({@link DeliveryTarget#batchLimit}). */
    public int batchLimit(Destination destination) {
        return destination instanceof Destination.Mailbox ? localBatch : 1;
    }

    /** The longest local delivery waits for a burst of acceptance to end ({@code delivery.local_hold_seconds}). */
    public Duration localHold() {
        return localHold;
    }

    /** Whether this destination's workers do blocking file work (then they run on platform threads). */
    public static boolean filesystem(Destination destination) {
        return destination instanceof Destination.Mailbox;
    }

    private static String normalise(String domain) {
        String d = domain.trim().toLowerCase(Locale.ROOT);
        return d.endsWith(".") ? d.substring(0, d.length() - 1) : d;
    }
}
