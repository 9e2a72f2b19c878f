package dev.posthorn.auth;

import dev.posthorn.codes.ReplyName;

/** One step of a SASL exchange, as the server mechanism decides it. */
public sealed interface SaslStep {

    /** Send {@code 334 <base64 data>} (an empty challenge is {@code "334 "}) and wait for the client. */
    record Challenge(byte[] data) implements SaslStep {
    }

    /** Authenticated as {@code identity}: {@code 235 2.7.0}. */
    record Success(String identity) implements SaslStep {
    }

    /**
     * The exchange failed with this reply (for example 535 5.7.8); {@code user} is the identity the client
     * tried, when the mechanism got that far (null otherwise), so that failures can be counted per user.
     */
    record Failure(ReplyName reply, String user) implements SaslStep {
    }
}
