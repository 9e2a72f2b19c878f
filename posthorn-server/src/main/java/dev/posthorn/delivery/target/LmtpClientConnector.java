package dev.posthorn.delivery.target;

import dev.posthorn.delivery.lmtp.LmtpClient;
import dev.posthorn.delivery.lmtp.LmtpEndpoint;
import dev.posthorn.delivery.lmtp.LmtpMessage;
import dev.posthorn.delivery.lmtp.RecipientResult;
import dev.posthorn.delivery.remote.ClientSettings;
import dev.posthorn.delivery.remote.Outcome;
import dev.posthorn.delivery.remote.SmtpClientException;
import java.io.IOException;
import java.util.List;

/**
 * {@link LmtpConnector} on {@code delivery.lmtp}'s {@link LmtpClient}: the queue's deadlines become the client's
 * time-outs, a client that could not get a session (or was closed) has sent nothing, and a recipient whose reply
 * after the final dot never came is unconfirmed. The content goes as the spool keeps it: the LMTP server adds
 * its own {@code Return-Path:} and {@code Delivered-To:} (RFC 2033 §4.2 leaves final delivery to it).
 */
public final class LmtpClientConnector implements LmtpConnector {

    private final String heloName;

    public LmtpClientConnector(String heloName) {
        this.heloName = heloName;
    }

    @Override
    public Client open(LmtpEndpoint endpoint, Deadlines deadlines) {
        // [queue]'s greeting, DATA-start and block time-outs are for remote SMTP; to a local LMTP server the command
        // deadline bounds each of those steps, and the replies after the final dot get the end-of-data deadline.
        ClientSettings settings = new ClientSettings(heloName, deadlines.connect(), deadlines.command(),
                deadlines.command(), deadlines.command(), deadlines.command(), deadlines.endOfData());
        return new Adapter(new LmtpClient(endpoint, settings));
    }

    private record Adapter(LmtpClient client) implements Client {

        @Override
        public List<Reply> send(String sender, List<String> recipients, MessageContent content, boolean eightBit,
                                boolean smtputf8) throws IOException {
            LmtpMessage message = new LmtpMessage(sender, recipients, content.size(), eightBit, smtputf8,
                    content::open);
            List<RecipientResult> results;
            try {
                results = client.deliver(message);
            } catch (SmtpClientException noSession) {
                // The client already replaced a kept connection the server had dropped: nothing to retry at once.
                throw new NothingSent(noSession.getMessage(), noSession);
            } catch (IllegalStateException closed) {
                throw new NothingSent("the LMTP client is closed: " + closed.getMessage(), closed);
            }
            return results.stream().map(Adapter::reply).toList();
        }

        /**
         * The client's verdict goes across with the reply: it knows at which step the reply came, and a 552 to RCPT
         * is deferred (RFC 5321 §4.5.3.1.10), which the code alone would bounce.
         */
        private static Reply reply(RecipientResult r) {
            Outcome.Kind kind = switch (r.status()) {
                case DELIVERED -> Outcome.Kind.DELIVERED;
                case DEFERRED -> Outcome.Kind.DEFERRED;
                case BOUNCED -> Outcome.Kind.FAILED;
            };
            return new Reply(r.reply(), r.stage() == RecipientResult.Stage.UNCONFIRMED, kind);
        }

        @Override
        public void abort() {
            client.close();
        }

        @Override
        public void close() {
            client.close();
        }
    }
}
