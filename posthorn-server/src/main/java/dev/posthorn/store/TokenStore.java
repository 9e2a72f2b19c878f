package dev.posthorn.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * API tokens of accounts, for the console and the REST API. Only a SHA-256 hash of each token is stored: the
 * token itself is shown once, when it is created, and cannot be recovered from the store.
 */
public interface TokenStore {

    /**
     * Creates a token for an account (not an alias).
     *
     * @param name      what the token is for, shown by {@code token list}
     * @param expiresAt null for a token that does not expire
     * @throws UserStoreException if the account is unknown
     */
    IssuedToken createToken(String account, String name, Instant expiresAt);

    /** Every token (never the secret), by account then creation time. */
    List<ApiToken> tokens();

    /** @throws UserStoreException if no token has this id */
    void revokeToken(String id);

    /** The token's record when the token is genuine, not revoked and not expired at {@code now}. */
    Optional<ApiToken> verifyToken(String token, Instant now);
}
