package dev.posthorn.delivery.target;

import dev.posthorn.delivery.remote.Outcome;
import dev.posthorn.delivery.remote.RemoteReply;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivery to hosted mailboxes through an LMTP server (Dovecot's {@code lmtp}, RFC 2033): a thin adapter over an
 * {@link LmtpConnector.Connection}, opened on first use and kept for the next message. Each recipient's own
 * reply after DATA decides its fate (RFC 2033 §4.2): a {@code 452 4.2.2} for one mailbox defers only that one.
 * Not idempotent, like SMTP: the window for a duplicate is a crash between the server's reply and the queue's
 * record of it.
 */
final class LmtpTarget implements DeliveryTarget {

    private static final Logger LOG = LoggerFactory.getLogger(LmtpTarget.class);

    private final LmtpEndpoint endpoint;
    private final LmtpConnector connector;
    private volatile LmtpConnector.Connection connection;

    LmtpTarget(LmtpEndpoint endpoint, LmtpConnector connector) {
        this.endpoint = endpoint;
        this.connector = connector;
    }

    @Override
    public Delivery start(TargetMessage message) {
        return new Delivery() {
            private final List<String> recipients = new ArrayList<>();
            private MessageContent content;

            @Override
            public void addRecipient(TargetRecipient recipient) {
                recipients.add(recipient.address());
            }

            @Override
            public void body(MessageContent body) {
                this.content = body;
            }

            @Override
            public List<Outcome> commit() {
                String via = "lmtp " + endpoint;
                try {
                    LmtpConnector.Connection c = connection;
                    if (c == null || !c.isOpen()) {
                        c = connector.connect(endpoint);
                        connection = c;
                    }
                    List<RemoteReply> replies = c.send(message.sender(), recipients, content, message.eightBit(),
                            message.smtputf8());
                    List<Outcome> outcomes = new ArrayList<>(replies.size());
                    for (RemoteReply reply : replies) {
                        outcomes.add(Outcome.fromReply(reply, via, false));
                    }
                    return outcomes;
                } catch (IOException | RuntimeException e) {
                    LOG.info("lmtp {}: {}", endpoint, e.toString());
                    close();
                    Outcome deferred = new Outcome(Outcome.Kind.DEFERRED, RemoteReply.local(451, "4.4.2",
                            "LMTP server " + endpoint + " unusable: " + e.getMessage()), via);
                    return Collections.nCopies(recipients.size(), deferred);
                }
            }

            @Override
            public void abort() {
                // nothing was sent yet
            }
        };
    }

    @Override
    public void close() {
        LmtpConnector.Connection c = connection;
        connection = null;
        if (c != null) {
            try {
                c.close();
            } catch (IOException e) {
                LOG.debug("lmtp {} close: {}", endpoint, e.toString());
            }
        }
    }

    @Override
    public void abort() {
        LmtpConnector.Connection c = connection;
        if (c != null) {
            c.abort();
        }
    }
}
