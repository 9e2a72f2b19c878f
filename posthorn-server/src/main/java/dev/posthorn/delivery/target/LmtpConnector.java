package dev.posthorn.delivery.target;

import dev.posthorn.delivery.QueueConfig;
import dev.posthorn.delivery.lmtp.LmtpEndpoint;
import dev.posthorn.delivery.remote.Outcome;
import dev.posthorn.delivery.remote.RemoteReply;
import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * What {@link LmtpTarget} needs from an LMTP client (RFC 2033), so that the target stays a thin adapter; the
 * client in {@code delivery.lmtp} ({@code LmtpClient}) provides it. docs/queue.md describes the contract.
 *
 * <p>Wiring {@code LmtpClient} is a few lines: {@code open} builds an {@code LmtpClient} for the endpoint with
 * {@code ClientSettings} whose connect, command and end-of-data time-outs are the {@link Deadlines}; {@code send}
 * calls {@code deliver(new LmtpMessage(...))} and maps each {@code RecipientResult} to a {@link Reply} (its
 * {@code status()} gives the kind; stage {@code UNCONFIRMED} gives {@code unconfirmed = true}); an {@code SmtpClientException} or the
 * {@code IllegalStateException} of a closed client becomes {@link NothingSent}; {@code abort} is its {@code close}.
 */
@FunctionalInterface
public interface LmtpConnector {

    /**
     * How long the client may wait, so that a hung LMTP server cannot hold a worker until shutdown. RFC 2033 §4
     * takes SMTP's transaction as is; the values are RFC 5321 §4.5.3.2's, from {@code [queue]}.
     *
     * @param connect   to open the connection (TCP or Unix socket), name lookup included
     * @param command   for each reply before the data (greeting, LHLO, MAIL, RCPT, DATA) and each block of data
     * @param endOfData for each recipient's reply after the final dot (RFC 2033 §4.2: one per accepted recipient)
     */
    record Deadlines(Duration connect, Duration command, Duration endOfData) {

        public static Deadlines from(QueueConfig queue) {
            return new Deadlines(Duration.ofSeconds(queue.connectTimeoutSeconds),
                    Duration.ofSeconds(queue.commandTimeoutSeconds), Duration.ofSeconds(queue.dataEndTimeoutSeconds));
        }
    }

    /** A client for one endpoint, kept by one lane's worker for message after message; it may pool connections. */
    Client open(LmtpEndpoint endpoint, Deadlines deadlines);

    interface Client extends AutoCloseable {

        /**
         * One transaction: MAIL FROM, RCPT TO for each recipient, DATA. One {@link Reply} per recipient, in order:
         * its RCPT reply when that was negative, else its own reply after the data (RFC 2033 §4.2). A recipient
         * whose reply never came gets a synthesised 4xx, {@code unconfirmed} when the final dot had been sent.
         *
         * @throws NothingSent  when it failed before the server could have accepted anything (no connection, a
         *                      greeting or LHLO refused, a kept connection the server had dropped, the client
         *                      closed): no mailbox got the message, it is safe to send it again at once
         * @throws IOException  any other failure before a recipient's fate was known (the message's content
         *                      could not be read): every recipient is deferred
         */
        List<Reply> send(String sender, List<String> recipients, MessageContent content, boolean eightBit,
                         boolean smtputf8) throws IOException;

        /** Cuts the deliveries in progress, from another thread (shutdown): their recipients are deferred. */
        void abort();

        @Override
        void close();
    }

    /**
     * One recipient's fate.
     *
     * @param unconfirmed a non-2xx synthesised because the reply after the final dot never came: the server may
     *                    have delivered it, so a retry may duplicate it (the one duplicate LMTP cannot rule out)
     * @param kind        the client's verdict, which may differ from what the code alone says: a {@code 552} to
     *                    RCPT is deferred, not bounced (RFC 5321 §4.5.3.1.10; Dovecot answers it when a mailbox
     *                    is over quota). Only a 2xx can be delivered: a 3xx completes nothing (RFC 5321 §4.2.1)
     *                    and is deferred whatever the client said
     */
    record Reply(RemoteReply reply, boolean unconfirmed, Outcome.Kind kind) {

        public Reply {
            if (kind == Outcome.Kind.DELIVERED && reply.code() / 100 != 2) {
                kind = Outcome.Kind.DEFERRED;
            }
        }

        /** The verdict of the reply code alone: 2xx delivered, 5xx failed, anything else deferred. */
        public Reply(RemoteReply reply, boolean unconfirmed) {
            this(reply, unconfirmed, reply.code() / 100 == 2 ? Outcome.Kind.DELIVERED
                    : reply.permanentFailure() ? Outcome.Kind.FAILED : Outcome.Kind.DEFERRED);
        }
    }

    /**
     * The transaction failed before the server could have accepted anything: safe to send again. A kept connection
     * the server had dropped is the client's to replace (LmtpClient does, before it gives up), so the target does
     * not send again at once: it defers every recipient.
     */
    final class NothingSent extends IOException {

        public NothingSent(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
