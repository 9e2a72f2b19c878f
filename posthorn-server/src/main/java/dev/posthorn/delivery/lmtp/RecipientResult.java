package dev.posthorn.delivery.lmtp;

import dev.posthorn.delivery.remote.RemoteReply;

/**
 * The fate of one recipient in one LMTP transaction: the reply that decided it, exactly as the server sent it
 * (or as we synthesised it when the server could not answer), and the step that gave it.
 */
public record RecipientResult(String recipient, RemoteReply reply, Stage stage) {

    /** Where in the transaction the deciding reply came from. */
    public enum Stage {
        /** Decided before sending: the server cannot take this message (SIZE, 8BITMIME, SMTPUTF8); synthesised. */
        LOCAL,
        /** The server refused MAIL FROM (or the RSET before it): the same reply for every recipient. */
        MAIL,
        /** The server refused this recipient's RCPT TO. */
        RCPT,
        /** The server refused the DATA command: the same reply for every accepted recipient. */
        DATA,
        /** This recipient's own reply after the final dot (RFC 2033 §4.2): delivered or not, in its mailbox. */
        DELIVERY,
        /**
         * The connection was lost, a reply timed out, or the server broke the protocol (a reply no step allows, after
         * which we close the connection) before the end of the data was sent; synthesised 4xx. Nothing of this
         * transaction can have reached a mailbox (RFC 2033 §4.2: no delivery without the final dot): safe to retry.
         */
        CONNECTION,
        /**
         * The same failures after the final dot was sent, before this recipient's own reply came; synthesised 4xx.
         * The server may have delivered the message all the same: a retry may deliver it twice, the one duplicate
         * LMTP cannot rule out, and the queue counts it as such.
         */
        UNCONFIRMED
    }

    /** What the queue does with the recipient. */
    public enum Status {
        /** A 2xx reply (only): the message is in the mailbox. */
        DELIVERED,
        /** A 4xx reply, a timeout or a lost connection: try again later. */
        DEFERRED,
        /** A 5xx reply: give up and bounce. */
        BOUNCED
    }

    public Status status() {
        if (reply.code() / 100 == 2) {
            return Status.DELIVERED;
        }
        if (stage == Stage.RCPT && reply.code() == 552) {
            // RFC 5321 §4.5.3.1.10: RFC 821 gave 552 to "too many recipients", which is transient; a client treats
            // a 552 to RCPT as 452. A message too large for the server is refused at MAIL or after the data instead.
            return Status.DEFERRED;
        }
        // A 3xx completes nothing (RFC 5321 §4.2.1); the session never reports one, and it must not count as delivered.
        return reply.permanentFailure() ? Status.BOUNCED : Status.DEFERRED;
    }

    @Override
    public String toString() {
        return "<" + recipient + "> " + status() + " at " + stage + ": " + reply.oneLine();
    }
}
