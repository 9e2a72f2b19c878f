package dev.posthorn.queue;

import dev.posthorn.spool.Envelope;
import dev.posthorn.spool.EnvelopeCodec;
import dev.posthorn.spool.EnvelopeRecipient;
import dev.posthorn.store.pg.PgDatabase;
import dev.posthorn.testing.TwoPgNodes;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;

/** Two nodes' queues in one PostgreSQL database: the stores, envelopes and acceptances the queue tests share. */
abstract class PgQueueNodes extends TwoPgNodes {

    @TempDir
    Path dir;

    /** A node's queue, not open(): no renewer, so a lease ends when the test says. */
    PgQueueStore store(PgDatabase db, Duration lease) {
        return new PgQueueStore(db, Clock.systemUTC(), lease, Duration.ofMillis(100), dir.resolve(db.nodeId()));
    }

    static Envelope envelope(String id, long size, String... rcpts) {
        return new Envelope(id, Instant.now(), "alice@posthorn.test",
                Arrays.stream(rcpts).map(r -> new EnvelopeRecipient(r, Set.of(), null, false)).toList(),
                "8BITMIME", false, null, null, null, "127.0.0.1", "client.test", size);
    }

    /** An envelope for the three bytes of {@link #accept(PgQueueStore, Envelope)}. */
    static Envelope envelope(String id, String... rcpts) {
        return envelope(id, 3, rcpts);
    }

    static void accept(PgQueueStore store, Envelope e, byte[] content) throws Exception {
        store.accept(e, EnvelopeCodec.encode(e), new ByteArrayInputStream(content), content.length);
    }

    static void accept(PgQueueStore store, Envelope e) throws Exception {
        accept(store, e, "a\r\n".getBytes());
    }
}
