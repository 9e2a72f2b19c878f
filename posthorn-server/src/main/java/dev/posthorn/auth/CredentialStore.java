package dev.posthorn.auth;

import dev.posthorn.store.ScramCredentials;
import dev.posthorn.store.UserStore;
import java.util.Optional;
import java.util.Set;

/** Where SASL mechanisms check passwords and find SCRAM credentials. */
public interface CredentialStore {

    /** True if the user exists, may log in, and the password matches. */
    boolean verifyPassword(String user, char[] password);

    /** SCRAM-SHA-256 credentials; empty for unknown users and users whose source cannot give them. */
    Optional<ScramCredentials> scram(String user);

    /**
     * The name a successful login is known by (logs, Received:, sender binding, throttling): for user
     * store accounts the lower-cased address, otherwise the name as given.
     */
    default String canonicalName(String user) {
        return user;
    }

    /** Addresses the user may use as envelope sender (RFC 6409 §6.1 sender binding). */
    Set<String> addressesOf(String user);

    /**
     * The secret SCRAM derives an unknown user's made-up salt from; the store's shared one, or for a source
     * without one a secret of this process.
     */
    default byte[] decoySecret() {
        return ProcessSecret.BYTES.clone();
    }

    /** A secret made when the process starts, for credential sources that keep none. */
    final class ProcessSecret {
        private static final byte[] BYTES = new byte[32];

        static {
            new java.security.SecureRandom().nextBytes(BYTES);
        }

        private ProcessSecret() {
        }
    }

    /** The accounts of a {@link UserStore}, then those of a passwd file (may be null). */
    static CredentialStore of(UserStore users, PasswdFile passwdFile) {
        return new Credentials(users, passwdFile);
    }
}
