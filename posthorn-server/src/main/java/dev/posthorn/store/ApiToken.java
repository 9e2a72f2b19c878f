package dev.posthorn.store;

import java.time.Instant;

/** What the store keeps about an API token, without its secret. {@code expiresAt} is null for no expiry. */
public record ApiToken(String id, String account, String name, Instant createdAt, Instant expiresAt) {

    public boolean expiredAt(Instant now) {
        return expiresAt != null && !now.isBefore(expiresAt);
    }
}
