package dev.posthorn.delivery.target;

/**
 * Where a recipient's copy goes: a Maildir, an LMTP server, a remote SMTP server. One instance serves one worker
 * of one {@link Destination} and may keep a connection open from one message to the next; it is not shared
 * between threads, except {@link #abort} at shutdown.
 */
public interface DeliveryTarget extends AutoCloseable {

    /** Starts a transaction for one message. */
    Delivery start(TargetMessage message);

    /** Closes whatever the target keeps open (a connection: QUIT). */
    @Override
    void close();

    /** From another thread at shutdown: cut a connection so that an attempt under way ends now (it defers). */
    default void abort() {
    }
}
