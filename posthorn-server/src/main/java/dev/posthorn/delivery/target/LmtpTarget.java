package dev.posthorn.delivery.target;

import dev.posthorn.delivery.lmtp.LmtpEndpoint;
import dev.posthorn.delivery.remote.Outcome;
import dev.posthorn.delivery.remote.RemoteReply;
import dev.posthorn.delivery.remote.SmtpClientException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivery to hosted mailboxes through an LMTP server (Dovecot's {@code lmtp}, RFC 2033): a thin adapter over an
 * {@link LmtpConnector.Client}, opened on first use (with the {@link LmtpConnector.Deadlines} of {@code [queue]})
 * and kept for the next message. Each recipient's own reply after DATA decides its fate (RFC 2033 §4.2): a
 * {@code 452 4.2.2} for one mailbox defers only that one. A kept connection the server had dropped is the
 * client's to replace; anything else that failed the transaction defers every recipient. Not idempotent, like SMTP: the window for a
 * duplicate is a crash between the server's reply and the queue's record of it, or a reply after the final dot
 * that never came (logged as unconfirmed).
 */
final class LmtpTarget implements DeliveryTarget {

    private static final Logger LOG = LoggerFactory.getLogger(LmtpTarget.class);

    private final LmtpEndpoint endpoint;
    private final LmtpConnector connector;
    private final LmtpConnector.Deadlines deadlines;
    private volatile LmtpConnector.Client client;

    LmtpTarget(LmtpEndpoint endpoint, LmtpConnector connector, LmtpConnector.Deadlines deadlines) {
        this.endpoint = endpoint;
        this.connector = connector;
        this.deadlines = deadlines;
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
                String via = endpoint.toString();
                try {
                    List<LmtpConnector.Reply> replies = client().send(message.sender(), recipients, content,
                            message.eightBit(), message.smtputf8());
                    if (replies.size() != recipients.size()) {
                        throw new IOException(replies.size() + " replies for " + recipients.size() + " recipients");
                    }
                    List<Outcome> outcomes = new ArrayList<>(replies.size());
                    for (int i = 0; i < replies.size(); i++) {
                        LmtpConnector.Reply r = replies.get(i);
                        if (r.unconfirmed()) {
                            LOG.warn("delivery id={} to=<{}> via {}: no reply after the data ({}); it may have been "
                                    + "delivered, the retry may duplicate it", message.id(), recipients.get(i), endpoint,
                                    r.reply().oneLine());
                        }
                        // The client's verdict, not the code alone: a 552 to RCPT is deferred (RFC 5321 §4.5.3.1.10).
                        outcomes.add(new Outcome(r.kind(), r.reply(), via, false));
                    }
                    return outcomes;
                } catch (IOException | RuntimeException e) {
                    LOG.info("{}: {}", endpoint, e.toString());
                    close();
                    RemoteReply own = transientReplyIn(e);
                    Outcome deferred = new Outcome(Outcome.Kind.DEFERRED, own != null ? own : RemoteReply.local(451,
                            "4.4.2", "LMTP server " + endpoint + " unusable: " + e.getMessage()), via);
                    return Collections.nCopies(recipients.size(), deferred);
                }
            }

            @Override
            public void abort() {
                // nothing was sent yet
            }
        };
    }

    /**
     * The 4xx the client recorded for a failed session ({@code 451 4.4.1} when nothing answered, Dovecot's own
     * {@code 421 4.3.2} when it was shutting down), so that the queue and the delay DSN explain the real cause
     * (RFC 3463 §3.5: 4.4.1 is "no answer from host", 4.4.2 a connection lost after it was made); null when there
     * is none, or it is a 5xx: a session that never began must not bounce anyone, it defers them all.
     */
    private static RemoteReply transientReplyIn(Throwable e) {
        int depth = 0;
        for (Throwable t = e; t != null && depth++ < 8; t = t.getCause()) { // bounded: a cause chain may loop
            if (t instanceof SmtpClientException s) {
                return s.reply().transientFailure() ? s.reply() : null;
            }
        }
        return null;
    }

    private LmtpConnector.Client client() {
        LmtpConnector.Client c = client;
        if (c == null) {
            c = connector.open(endpoint, deadlines);
            client = c;
        }
        return c;
    }

    @Override
    public void close() {
        LmtpConnector.Client c = client;
        client = null;
        if (c != null) {
            c.close();
        }
    }

    @Override
    public void abort() {
        LmtpConnector.Client c = client;
        if (c != null) {
            c.abort();
        }
    }
}
