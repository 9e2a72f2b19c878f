package dev.posthorn.queue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * What outbound delivery needs to know of a spooled message: its envelope (immutable after the 250) and
 * where its bytes are. Only the recipients handed to {@link OutboundScheduler} are delivered remotely.
 *
 * @param sender "" for the null reverse-path (bounces)
 * @param ret    "FULL", "HDRS" or null
 */
public record QueuedMessage(String id, Instant receivedAt, String sender, List<Recipient> recipients, boolean eightBit,
                            boolean smtputf8, String ret, String envid, Path content, long size) {

    public QueuedMessage {
        recipients = List.copyOf(recipients);
    }

    /** @param notifyOn empty = default; else NEVER, or a subset of SUCCESS, FAILURE, DELAY (RFC 3461 §4.1) */
    public record Recipient(String address, Set<String> notifyOn, String orcpt) {
        public Recipient {
            notifyOn = Set.copyOf(notifyOn);
        }

        public boolean wantsFailureNotice() {
            return notifyOn.isEmpty() || notifyOn.contains("FAILURE");
        }

        /** RFC 3461 §4.1 leaves the default to the MTA; Posthorn warns of delays unless told otherwise. */
        public boolean wantsDelayNotice() {
            return notifyOn.isEmpty() || notifyOn.contains("DELAY");
        }

        public String domain() {
            return address.substring(address.lastIndexOf('@') + 1);
        }
    }
}
