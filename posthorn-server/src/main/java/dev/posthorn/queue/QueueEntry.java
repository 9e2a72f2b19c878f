package dev.posthorn.queue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/** A message in the outbound scheduler: its envelope and its mutable state, guarded by the entry's monitor. */
final class QueueEntry {
    final QueuedMessage message;
    final MessageState state;
    boolean deleted;
    private Boolean needsSmtputf8;

    QueueEntry(QueuedMessage message, MessageState state) {
        this.message = message;
        this.state = state;
    }

    QueuedMessage.Recipient recipient(String address) {
        for (QueuedMessage.Recipient r : message.recipients()) {
            if (r.address().equalsIgnoreCase(address)) {
                return r;
            }
        }
        return new QueuedMessage.Recipient(address, java.util.Set.of(), null);
    }

    Instant earliestAttempt() {
        Instant earliest = null;
        for (RecipientState r : state.recipients) {
            if ((r.status == RecipientStatus.QUEUED || r.status == RecipientStatus.DEFERRED) && r.nextAttempt != null
                    && (earliest == null || r.nextAttempt.isBefore(earliest))) {
                earliest = r.nextAttempt;
            }
        }
        return earliest;
    }

    /**
     * RFC 6531: SMTPUTF8 is needed only when an address or a header field is not ASCII; a message merely
     * submitted with the SMTPUTF8 flag but all-ASCII can go to any server.
     */
    synchronized boolean needsSmtputf8() {
        if (needsSmtputf8 == null) {
            needsSmtputf8 = message.smtputf8() && (!ascii(message.sender())
                    || message.recipients().stream().anyMatch(r -> !ascii(r.address())) || headersNotAscii(message.content()));
        }
        return needsSmtputf8;
    }

    private static boolean ascii(String s) {
        return s.chars().allMatch(c -> c < 128);
    }

    private static boolean headersNotAscii(Path content) {
        try (InputStream in = Files.newInputStream(content)) {
            byte[] buf = new byte[65536];
            int n = in.readNBytes(buf, 0, buf.length);
            int prev = -1;
            for (int i = 0; i < n; i++) {
                if (buf[i] < 0) {
                    return true;
                }
                if (buf[i] == '\n' && prev == '\n') {
                    return false;
                }
                if (buf[i] != '\r') {
                    prev = buf[i];
                }
            }
            return false;
        } catch (IOException e) {
            return true;
        }
    }
}
