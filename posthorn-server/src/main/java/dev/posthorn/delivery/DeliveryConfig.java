package dev.posthorn.delivery;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code [delivery]}: how mail for hosted mailboxes is stored. {@code local} applies to every hosted domain,
 * {@code domains} overrides it per domain: {@code "maildir"} (written here, the default),
 * {@code "lmtp:unix:/run/dovecot/lmtp"} or {@code "lmtp:host:port"} (handed to an LMTP server, RFC 2033).
 */
public class DeliveryConfig {
    public String local = "maildir";
    public Map<String, String> domains = new LinkedHashMap<>();
    /**
     * Maildir deliveries at once. Each writes and syncs a file; every sync queued ahead of the spool journal's
     * delays a {@code 250}, so a few at a time keep up and let bursts queue (Postfix:
     * local_destination_concurrency_limit). The system property {@code posthorn.delivery.concurrency} still sets
     * the default.
     */
    public int localConcurrency = Integer.getInteger("posthorn.delivery.concurrency", 4);
    /**
     * Maildir messages one delivery worker writes before it makes them durable together (one syncfs(2), then
     * the renames into new/ and one fsync of each new/): fewer device flushes per message under load, the same
     * guarantee. A worker takes what is queued, up to this, so a message alone is not held back.
     */
    public int localBatch = 64;
    /**
     * Acceptance first: during a burst (64 messages accepted a tenth of a second or faster, on a CPU at least half
     * busy besides delivery's own work) Maildir delivery waits, up to this long per message, and catches up when
     * the burst ends or the wait runs out. 0 turns it off; at most 20 (past that the spool may write a held
     * message to a file before it is delivered).
     */
    public double localHoldSeconds = 5;
    /** Connections to one LMTP server at once. */
    public int lmtpConnections = 10;
}
