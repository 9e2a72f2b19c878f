package dev.posthorn.spool;

import java.time.Instant;
import java.util.List;

/**
 * What the SMTP transaction established about a message, stored beside it in the queue and immutable once
 * the {@code 250} was sent. {@code sender} is "" for the null reverse-path.
 */
public record Envelope(
        String id,
        Instant receivedAt,
        String sender,
        List<EnvelopeRecipient> recipients,
        String body,
        boolean smtputf8,
        String ret,
        String envid,
        String authUser,
        String clientAddress,
        String clientHelo,
        long size) {

    public boolean hasNullSender() {
        return sender == null || sender.isEmpty();
    }
}
