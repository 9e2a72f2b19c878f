package dev.posthorn.store;

/**
 * What every store keeps for a password: the Argon2id PHC string (PLAIN, LOGIN) and the SCRAM-SHA-256
 * credentials, both derived from the clear password when it is set. Null fields: a mailbox without login.
 * Computed before a store takes any lock or opens a transaction, since Argon2id takes a noticeable fraction of
 * a second.
 */
public record PasswordCredentials(String argon2id, ScramCredentials scram) {

    static final PasswordCredentials NONE = new PasswordCredentials(null, null);

    /** @throws IllegalArgumentException for an empty password (null is fine: no login) */
    public static PasswordCredentials of(char[] password) {
        if (password == null) {
            return NONE;
        }
        if (password.length == 0) {
            throw new IllegalArgumentException("empty password (omit it to create a mailbox without login)");
        }
        return new PasswordCredentials(Argon2id.hash(password), ScramCredentials.create(password));
    }

    @Override
    public String toString() {
        return argon2id == null ? "PasswordCredentials[no login]" : "PasswordCredentials[********]";
    }
}
