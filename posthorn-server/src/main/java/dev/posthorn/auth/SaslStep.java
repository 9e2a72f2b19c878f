package dev.posthorn.auth;

import dev.posthorn.codes.ReplyName;
import java.util.Objects;

/** What a SASL mechanism wants the protocol to do next (RFC 4954 §4). */
public sealed interface SaslStep {

    /** Send {@code 334 <base64 of data>}; empty data is sent as {@code "334 "}. */
    record Challenge(byte[] data) implements SaslStep {
        public Challenge {
            data = Objects.requireNonNull(data, "data").clone();
        }

        @Override
        public byte[] data() {
            return data.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Challenge c && java.util.Arrays.equals(data, c.data);
        }

        @Override
        public int hashCode() {
            return java.util.Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return "Challenge[" + new String(data, java.nio.charset.StandardCharsets.UTF_8) + "]";
        }
    }

    /** Authentication succeeded as {@code identity}: {@code 235 2.7.0}. */
    record Success(String identity) implements SaslStep {
        public Success {
            Objects.requireNonNull(identity, "identity");
        }
    }

    /**
     * The exchange failed; the protocol answers with this reply. {@code user} is the identity the client
     * tried when the mechanism got that far (null otherwise), so failures are counted per user as well.
     */
    record Failure(ReplyName reply, String user) implements SaslStep {
        public Failure {
            Objects.requireNonNull(reply, "reply");
        }

        public Failure(ReplyName reply) {
            this(reply, null);
        }
    }
}
