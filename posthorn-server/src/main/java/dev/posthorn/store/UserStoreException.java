package dev.posthorn.store;

/** A request the user store refuses: the account exists already, is unknown, an alias is taken. */
public final class UserStoreException extends RuntimeException {
    public UserStoreException(String message) {
        super(message);
    }
}
