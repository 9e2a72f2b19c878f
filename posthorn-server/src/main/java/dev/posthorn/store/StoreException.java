package dev.posthorn.store;

/**
 * The store cannot do what was asked, through no fault of the request: the database is unreachable, refuses
 * the login, or fails. The message is one line that names where, the cause and the fix, and never a password.
 */
public final class StoreException extends RuntimeException {

    public StoreException(String message) {
        super(message);
    }

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
