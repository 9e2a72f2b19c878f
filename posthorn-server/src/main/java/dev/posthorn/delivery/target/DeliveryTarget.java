package dev.posthorn.delivery.target;

/**
 * Where a recipient's copy goes: a Maildir, an LMTP server, a remote SMTP server. One instance serves one worker
 * of one {@link Destination} and may keep a connection open from one message to the next; it is not shared
 * between threads, except {@link #abort} at shutdown.
 */
public interface DeliveryTarget extends AutoCloseable {

    /** Starts a transaction for one message. */
    Delivery start(TargetMessage message);

    /**
     * How many transactions a worker may commit before it calls {@link #flush}. 1 (the default): every
     * {@link Delivery#commit} is final when it returns (LMTP and SMTP: the server's reply is).
     */
    default int batchLimit() {
        return 1;
    }

    /**
     * Makes every transaction committed since the last flush final. Until it returns, the "delivered" outcomes
     * their commits returned are promises, and nothing may record them; after it, each transaction's
     * {@link Delivery#settled} says which hold (a copy that could not be made durable is deferred alone). When it
     * throws (a bug), none of them holds. A Maildir syncs a batch of files here with one {@code syncfs}.
     */
    default void flush() throws java.io.IOException {
    }

    /** Closes whatever the target keeps open (a connection: QUIT). */
    @Override
    void close();

    /** From another thread at shutdown: cut a connection so that an attempt under way ends now (it defers). */
    default void abort() {
    }
}
