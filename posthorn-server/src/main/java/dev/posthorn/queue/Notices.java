package dev.posthorn.queue;

import dev.posthorn.delivery.dsn.DsnBuilder;
import dev.posthorn.spool.Envelope;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
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

    private final DsnBuilder builder;
    private final String hostname;
    private final Submitter submitter;

    Notices(DsnBuilder builder, String hostname, Submitter submitter) {
        this.builder = builder;
        this.hostname = hostname;
        this.submitter = submitter;
    }

    /**
     * Sends one notice for these recipients; never for a bounce (RFC 5321 §6.1, RFC 3461 §6.2).
     *
     * @return whether it is done: queued durably, or nothing to send; false when it could not be queued (logged)
     */
    boolean send(DsnBuilder.Kind kind, Envelope e, List<DsnBuilder.RecipientReport> reports, Original original, Instant now) {
        if (reports.isEmpty() || e.hasNullSender()) {
            return true;
        }
        try {
            DsnBuilder.Built dsn = builder.build(new DsnBuilder.Request(kind, hostname, e.sender(), e.envid(),
                    e.receivedAt(), reports, e.ret(), original.file()), now);
            submitter.submit(e.sender(), dsn.bytes(), dsn.eightBit());
            LOG.info("queue id={} {} notice sent to <{}> for {} recipient(s)", e.id(), kind.name().toLowerCase(Locale.ROOT),
                    e.sender(), reports.size());
            return true;
        } catch (IOException | RuntimeException ex) {
            LOG.error("queue id={} cannot queue the {} notice to <{}> now (the sweep tries again): {}", e.id(), kind,
                    e.sender(), ex.toString());
            return false;
        }
    }
}
