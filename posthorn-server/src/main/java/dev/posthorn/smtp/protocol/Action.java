package dev.posthorn.smtp.protocol;

import dev.posthorn.codes.Reply;
import java.time.Duration;

/** What the session must do after the protocol has handled an input. */
public sealed interface Action {

    /** Send the reply and read the next command. */
    record Respond(Reply reply) implements Action {
    }

    /** Send the reply (a 221 or a 421, or a 5xx that ends the session) and close the connection. */
    record Close(Reply reply) implements Action {
    }

    /** Wait, then send the reply (throttled AUTH). */
    record DelayedRespond(Duration delay, Reply reply) implements Action {
    }

    /**
     * Send 354, read the message up to CRLF.CRLF into the spool, then call
     * {@link SmtpProtocol#dataEnded(DataOutcome)}.
     */
    record ReceiveData(Reply goAhead, Transaction transaction) implements Action {
    }

    /** Read exactly {@code size} octets of BDAT content into the spool, then call {@link SmtpProtocol#chunkEnded}. */
    record ReceiveChunk(long size, boolean last, Transaction transaction) implements Action {
    }

    /** Read and throw away {@code size} octets (a refused BDAT chunk is never parsed as commands), then reply. */
    record DiscardChunk(long size, Reply reply) implements Action {
    }

    /**
     * Write the spooled message durably; then {@link SmtpProtocol#committed(String)} or
     * {@link SmtpProtocol#commitFailed()} gives the reply.
     */
    record Commit(Transaction transaction) implements Action {
    }

    /** Send the 220, refuse any plaintext already buffered, run the handshake, then {@link SmtpProtocol#tlsStarted}. */
    record StartTls(Reply ready) implements Action {
    }
}
