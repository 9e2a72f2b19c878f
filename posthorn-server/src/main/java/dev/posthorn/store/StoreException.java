package dev.posthorn.store;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The store cannot do what was asked, through no fault of the request: the database is unreachable, refuses
 * the login, or fails. The message is one line that names where, the cause and the fix, and never a password.
 *
 * <p>An {@link UncheckedIOException}: to the layers above, a store that cannot be reached is a source that cannot
 * be read, like an unreadable users file, and gets the same temporary answers (RFC 4954 §6: {@code 454 4.7.0} in
 * AUTH; {@code 451 4.3.0} for a command) without those layers knowing which store is configured.
 */
public final class StoreException extends UncheckedIOException {

    public StoreException(String message) {
        super(message, new IOException(message));
    }

    public StoreException(String message, Throwable cause) {
        super(message, new IOException(message, cause));
    }
}
