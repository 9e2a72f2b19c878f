package dev.posthorn.queue;

import dev.posthorn.delivery.dsn.DsnBuilder;
import dev.posthorn.spool.Envelope;
import dev.posthorn.spool.StoreUnavailableException;
import dev.posthorn.store.StoreException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends delivery status notifications (RFC 3464) for a queued message through the queue itself: failed, delayed
 * and relayed notices, the same for local and remote recipients.
 */
public final class Notices {

    private static final Logger LOG = LoggerFactory.getLogger(Notices.class);

    /** Queues a DSN (null reverse-path) to one recipient; returns once it is durable in the spool. */
    @FunctionalInterface
    public interface Submitter {
        void submit(String recipient, byte[] message, boolean eightBit) throws IOException;
    }

    /** Where the original message is, for the DSN's returned content. */
    @FunctionalInterface
    interface Original {
        Path file() throws IOException;
    }

    /**
     * A notice that still cannot be queued after this many tries and this long is dropped (logged loudly): a notice
     * that can never be queued must not keep its message in the queue forever. Both, so that a short journal
     * outage (tried every sweep) drops nothing.
     */
    static final int MAX_FAILURES = 10;
    static final Duration MAX_TRYING = Duration.ofHours(1);
    /** The same message's failure is logged at most this often: the sweep tries every few seconds. */
    static final Duration LOG_EVERY = Duration.ofMinutes(1);

    private final DsnBuilder builder;
    private final String hostname;
    private final Submitter submitter;
    /** Per message and kind of notice: failures so far, since when, last logged. */
    private final Map<String, Failures> failing = new ConcurrentHashMap<>();

    private static final class Failures {
        final Instant since;
        int count;
        Instant logged;

        Failures(Instant since) {
            this.since = since;
        }
    }

    Notices(DsnBuilder builder, String hostname, Submitter submitter) {
        this.builder = builder;
        this.hostname = hostname;
        this.submitter = submitter;
    }

    /**
     * Sends one notice for these recipients; never for a bounce (RFC 5321 §6.1, RFC 3461 §6.2). A notice with the
     * whole original that cannot be queued (too large for the spool, say) is tried again at once with its headers
     * only (RFC 3461 §4.3's RET=HDRS): the notice matters more than the copy.
     *
     * @return whether it is done: queued durably, nothing to send, or given up after {@link #MAX_FAILURES} tries
     *         over {@link #MAX_TRYING} (logged as an error); false when it could not be queued (logged, at most
     *         once a minute per message)
     */
    boolean send(DsnBuilder.Kind kind, Envelope e, List<DsnBuilder.RecipientReport> reports, Original original, Instant now) {
        if (reports.isEmpty() || e.hasNullSender()) {
            return true;
        }
        String key = e.id() + " " + kind;
        Exception failure;
        try {
            try {
                queue(kind, e, reports, e.ret(), original, now);
            } catch (IOException | RuntimeException full) {
                if ("HDRS".equalsIgnoreCase(e.ret())) {
                    throw full;
                }
                queue(kind, e, reports, "HDRS", original, now);
                LOG.warn("queue id={} the {} notice with the whole message could not be queued ({}); sent with its "
                        + "headers only", e.id(), kind, full.toString());
            }
            failing.remove(key);
            return true;
        } catch (IOException | RuntimeException ex) {
            failure = ex;
        }
        Failures f = failing.computeIfAbsent(key, k -> new Failures(now));
        // A shared store that cannot be reached (the queue in PostgreSQL during an outage) holds the message as well
        // as the notice: neither can go anywhere until it is back, so waiting is not "never", and does not count.
        // The acceptance and the reading of the original say so by their exception's type (Acceptance.accept,
        // PgQueueStore.materialize); a store's own failure is a StoreException. The cause chain is looked at too: a
        // path that wraps an outage in a plain IOException must not turn it into a reason to give up (review).
        if (!storeUnreachable(failure)) {
            f.count++;
        }
        if (f.count >= MAX_FAILURES && !now.isBefore(f.since.plus(MAX_TRYING))) {
            failing.remove(key);
            LOG.error("queue id={} GIVING UP the {} notice to <{}> after {} failed tries since {}: the sender is NOT "
                    + "told; the message leaves the queue. Last error: {}", e.id(), kind, e.sender(), f.count, f.since,
                    failure.toString());
            return true;
        }
        if (f.logged == null || !now.isBefore(f.logged.plus(LOG_EVERY))) {
            f.logged = now;
            LOG.error("queue id={} cannot queue the {} notice to <{}> now (the sweep tries again; {} tries so far): {}",
                    e.id(), kind, e.sender(), f.count, failure.toString());
        }
        return false;
    }

    private static boolean storeUnreachable(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof StoreUnavailableException || t instanceof StoreException || t instanceof java.sql.SQLException) {
                return true;
            }
        }
        return false;
    }

    private void queue(DsnBuilder.Kind kind, Envelope e, List<DsnBuilder.RecipientReport> reports, String ret,
                       Original original, Instant now) throws IOException {
        DsnBuilder.Built dsn = builder.build(new DsnBuilder.Request(kind, hostname, e.sender(), e.envid(),
                e.receivedAt(), reports, ret, original.file()), now);
        submitter.submit(e.sender(), dsn.bytes(), dsn.eightBit());
        LOG.info("queue id={} {} notice sent to <{}> for {} recipient(s)", e.id(), kind.name().toLowerCase(Locale.ROOT),
                e.sender(), reports.size());
    }
}
