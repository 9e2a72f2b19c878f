package dev.posthorn.spool;

import java.io.IOException;
import java.io.InputStream;

/**
 * Where an accepted message becomes durable instead of the spool's journal: a store shared by several nodes
 * (the queue in PostgreSQL). {@link #accept} returns only once the message, its envelope and its recipients
 * are committed; only then does the session answer {@code 250}. A failure throws, and the session answers
 * {@code 451 4.3.0}: nothing of the message is kept.
 */
public interface Acceptance {

    /**
     * @param envelope the envelope's JSON ({@link EnvelopeCodec})
     * @param content  the message's bytes, read once
     * @throws StoreUnavailableException when the shared store cannot be reached or fails
     */
    void accept(Envelope parsed, byte[] envelope, InputStream content, long size) throws IOException;
}
