package dev.posthorn.delivery.target;

import dev.posthorn.delivery.remote.DestinationSession;
import dev.posthorn.delivery.remote.OutboundMessage;
import dev.posthorn.delivery.remote.Outcome;
import dev.posthorn.delivery.remote.RemoteReply;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Delivery to another domain over SMTP: a thin adapter over {@link DestinationSession}, which keeps the
 * connection to the destination open from one message to the next. The content passes the
 * {@link OutboundFilter} first (the place where outgoing mail can be signed). Not idempotent: a crash between
 * the remote's {@code 250} and the queue's record of it sends the message again (see docs/queue.md).
 */
final class RemoteSmtpTarget implements DeliveryTarget {

    private final DestinationSession session;
    private final OutboundFilter filter;

    RemoteSmtpTarget(DestinationSession session, OutboundFilter filter) {
        this.session = session;
        this.filter = filter;
    }

    @Override
    public Delivery start(TargetMessage message) {
        return new Delivery() {
            private final List<TargetRecipient> recipients = new ArrayList<>();
            private MessageContent content;

            @Override
            public void addRecipient(TargetRecipient recipient) {
                recipients.add(recipient);
            }

            @Override
            public void body(MessageContent body) {
                this.content = body;
            }

            @Override
            public List<Outcome> commit() {
                try {
                    MessageContent outgoing = filter.apply(message, content);
                    List<OutboundMessage.Recipient> rcpts = recipients.stream()
                            .map(r -> new OutboundMessage.Recipient(r.address(), r.notifyOn(), r.orcpt())).toList();
                    OutboundMessage out = new OutboundMessage(message.sender(), rcpts, outgoing.file(), outgoing.size(),
                            message.eightBit(), needsSmtputf8(message, recipients, outgoing), message.ret(),
                            message.envid());
                    return session.deliver(out);
                } catch (IOException e) {
                    Outcome deferred = new Outcome(Outcome.Kind.DEFERRED, RemoteReply.local(451, "4.3.0",
                            "Local error reading the queued message: " + e.getMessage()), null);
                    return Collections.nCopies(recipients.size(), deferred);
                }
            }

            @Override
            public void abort() {
                // nothing was sent yet: the transaction goes out in commit()
            }
        };
    }

    @Override
    public void close() {
        session.close();
    }

    @Override
    public void abort() {
        session.abort();
    }

    /**
     * RFC 6531: SMTPUTF8 is needed only when an address or a header field is not ASCII; a message merely
     * submitted with the SMTPUTF8 flag but all-ASCII can go to any server.
     */
    static boolean needsSmtputf8(TargetMessage m, List<TargetRecipient> recipients, MessageContent content)
            throws IOException {
        if (!m.smtputf8()) {
            return false;
        }
        if (!ascii(m.sender()) || recipients.stream().anyMatch(r -> !ascii(r.address()))) {
            return true;
        }
        try (InputStream in = content.open()) {
            byte[] buf = in.readNBytes(65536);
            int prev = -1;
            for (byte b : buf) {
                if (b < 0) {
                    return true;
                }
                if (b == '\n' && prev == '\n') {
                    return false;
                }
                if (b != '\r') {
                    prev = b;
                }
            }
            return false;
        }
    }

    private static boolean ascii(String s) {
        return s.chars().allMatch(c -> c < 128);
    }
}
