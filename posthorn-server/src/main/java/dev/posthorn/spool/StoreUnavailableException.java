package dev.posthorn.spool;

import java.io.IOException;

/**
 * The shared store behind an {@link Acceptance} (the queue in PostgreSQL) could not be reached or failed: nothing
 * of the message was kept, through no fault of the message. The session answers {@code 451 4.3.0} as for any
 * failed acceptance; a caller that retries on its own (the queue's notices) knows by this type that waiting for the
 * store is not the same as a message that can never be queued.
 */
public final class StoreUnavailableException extends IOException {

    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
