package dev.posthorn.queue;

/** Where one recipient of a queued message stands. */
public enum RecipientStatus {
    QUEUED,
    IN_FLIGHT,
    DEFERRED,
    DELIVERED,
    BOUNCED;

    public boolean done() {
        return this == DELIVERED || this == BOUNCED;
    }
}
