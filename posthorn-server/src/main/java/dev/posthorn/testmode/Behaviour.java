package dev.posthorn.testmode;

import dev.posthorn.codes.Reply;
import java.time.Duration;

/** What a {@link Rule} does when it matches: a fixed reply, or one of the stateful behaviours real servers show. */
public sealed interface Behaviour {

    /** Every matching command gets this reply. */
    record Answer(Reply reply) implements Behaviour {
    }

    /** The first {@code times} matching attempts (per address) get the reply; later ones go through. */
    record FailFirst(int times, Reply reply) implements Behaviour {
        public FailFirst {
            if (times < 1) {
                throw new IllegalArgumentException("fail_first must be at least 1, not " + times);
            }
        }
    }

    /**
     * Greylisting: the first attempt per (client address, sender, recipient) gets {@code 451 4.7.1}, and so does
     * every retry until {@code period} has passed since the first; from then on the triple goes through.
     */
    record Greylist(Duration period) implements Behaviour {
    }

    /**
     * A rate limit per sender: past {@code messages} transactions within {@code window}, {@code 421 4.7.0} and the
     * connection is closed, until older transactions fall out of the window.
     */
    record RateLimit(int messages, Duration window) implements Behaviour {
        public RateLimit {
            if (messages < 1) {
                throw new IllegalArgumentException("rate_limit must be at least 1, not " + messages);
            }
        }
    }

    /** The usual reply, {@code delay} late. */
    record Slow(Duration delay) implements Behaviour {
    }

    /** The connection closes without a reply (at DATA: after the 354, while the client sends the message). */
    record Drop() implements Behaviour {
    }
}
