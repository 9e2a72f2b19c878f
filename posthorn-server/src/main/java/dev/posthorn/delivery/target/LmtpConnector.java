package dev.posthorn.delivery.target;

import dev.posthorn.delivery.remote.RemoteReply;
import java.io.Closeable;
import java.io.IOException;
import java.util.List;

/**
 * What {@link LmtpTarget} needs from an LMTP client (RFC 2033), so that the target stays a thin adapter. The
 * client in {@code delivery.lmtp} provides it; docs/queue.md describes the contract.
 */
@FunctionalInterface
public interface LmtpConnector {

    /** Connects (TCP or Unix socket), reads the greeting and sends LHLO; throws when the server cannot be used. */
    Connection connect(LmtpEndpoint endpoint) throws IOException;

    /** One LMTP connection, used by one worker for message after message. */
    interface Connection extends Closeable {

        /**
         * One transaction: MAIL FROM, RCPT TO for each recipient, then DATA. Returns one reply per recipient, in
         * order: its RCPT reply when that was negative, else its own reply after the data (RFC 2033 §4.2). A
         * recipient whose reply never came (the connection broke) gets a synthesised {@code 451 4.4.2}.
         *
         * @throws IOException when the connection failed before any recipient's fate was known
         */
        List<RemoteReply> send(String sender, List<String> recipients, MessageContent content, boolean eightBit,
                               boolean smtputf8) throws IOException;

        boolean isOpen();

        /** Cuts the connection from another thread (shutdown). */
        void abort();
    }
}
