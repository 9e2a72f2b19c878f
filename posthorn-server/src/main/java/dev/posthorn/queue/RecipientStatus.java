package dev.posthorn.queue;

/**
 * Where one recipient of a queued message stands. Every recipient ends in exactly one final state: delivered,
 * bounced (a permanent failure), expired (temporary failures until the give-up time) or deleted by the operator.
 */
public enum RecipientStatus {
    QUEUED,
    /** Being attempted now; never durable on its own: a restart finds it due again (see docs/queue.md). */
    IN_FLIGHT,
    DEFERRED,
    DELIVERED,
    BOUNCED,
    EXPIRED,
    DELETED;

    public boolean done() {
        return this == DELIVERED || this == BOUNCED || this == EXPIRED || this == DELETED;
    }

    /** Waiting for an attempt at its next attempt time. */
    public boolean waiting() {
        return this == QUEUED || this == DEFERRED;
    }
}
