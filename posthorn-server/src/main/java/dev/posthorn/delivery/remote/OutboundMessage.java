package dev.posthorn.delivery.remote;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * One transaction to send: the envelope as the remote will see it and the message file (CRLF lines,
 * not dot-stuffed). DSN parameters (RFC 3461) are passed on when the remote offers DSN.
 *
 * @param sender   the reverse-path, "" for the null sender of bounces
 * @param eightBit the body needs 8BITMIME (RFC 6152)
 * @param smtputf8 the message needs SMTPUTF8 (RFC 6531): it is refused with 5.6.7 by remotes that lack it
 * @param ret      "FULL", "HDRS" or null
 * @param envid    the ENVID xtext or null
 */
public record OutboundMessage(String sender, List<Recipient> recipients, Path content, long size,
                              boolean eightBit, boolean smtputf8, String ret, String envid) {

    public OutboundMessage {
        recipients = List.copyOf(recipients);
    }

    /** @param notify empty for the default, else NEVER or a subset of SUCCESS, FAILURE, DELAY; orcpt may be null */
    public record Recipient(String address, Set<String> notifyOn, String orcpt) {
        public Recipient {
            notifyOn = Set.copyOf(notifyOn);
        }

        public static Recipient of(String address) {
            return new Recipient(address, Set.of(), null);
        }
    }
}
