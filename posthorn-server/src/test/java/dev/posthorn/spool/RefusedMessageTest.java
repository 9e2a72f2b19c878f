package dev.posthorn.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A message whose session answered 451 is not delivered, not even after a crash and a replay: its client sends
 * it again, and a replayed copy would be a second delivery. The crash here is simulated as a kill: what the
 * writer had not written stays unwritten, and nothing is checkpointed or retired on the way out.
 */
class RefusedMessageTest {

    @TempDir
    Path queue;

    @AfterEach
    void healthy() {
        Journal.fault = null;
        System.clearProperty("posthorn.spool.sync-deadline-millis");
    }

    private static SpoolWriter written(Spool spool, String body) throws IOException {
        SpoolWriter writer = spool.begin();
        try (OutputStream out = writer.content()) {
            out.write(body.getBytes(StandardCharsets.US_ASCII));
        }
        return writer;
    }

    private static Envelope envelope(String id, long size) {
        return new Envelope(id, Instant.now(), "a@example.org",
                List.of(new EnvelopeRecipient("someone@remote.example", Set.of(), null, false)), "7BIT", false, null,
                null, null, "127.0.0.1", "client.test", size);
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for %s", what).isLessThan(until);
            Thread.sleep(5);
        }
    }

    @Test
    void aMessageRefusedAfterASlowSyncIsNotReplayedAfterACrash() throws Exception {
        System.setProperty("posthorn.spool.sync-deadline-millis", "300");
        Spool spool = new Spool(queue);
        CountDownLatch diskBackAfterTheKill = new CountDownLatch(1);
        AtomicInteger batches = new AtomicInteger();
        Journal.fault = () -> {
            try {
                if (batches.incrementAndGet() == 1) {
                    Thread.sleep(800); // slow, but the record is written and synced after all
                } else {
                    diskBackAfterTheKill.await(); // any later batch: the disk is slow again, then the kill
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        String body = "Subject: refused\r\n\r\nbody\r\n";
        SpoolWriter writer = written(spool, body);
        String id = writer.id();
        assertThatThrownBy(() -> writer.commit(envelope(id, body.length()))).isInstanceOf(IOException.class); // 451
        // The message's batch is written and synced meanwhile; then the writer is idle or stuck on a later batch.
        await(() -> spool.journal().syncs() >= 1 && (!spool.journal().writing() || batches.get() >= 2),
                "the slow batch to be done");
        spool.simulateCrash(); // kill -9
        diskBackAfterTheKill.countDown();
        Journal.fault = null;

        Spool reopened = new Spool(queue);
        try {
            assertThat(reopened.storedIds()).as("a message refused with 451").doesNotContain(id);
        } finally {
            reopened.close();
        }
    }

    @Test
    void aSyncThatFailsAfterTheWriteLeavesNoTraceOfTheRefusedMessage() throws Exception {
        Spool spool = new Spool(queue);
        String kept = "Subject: kept\r\n\r\nbody\r\n";
        SpoolWriter first = written(spool, kept);
        first.commit(envelope(first.id(), kept.length()));
        Journal.fault = new Journal.Fault() {
            @Override
            public void beforeWrite() {
            }

            @Override
            public void afterWrite() throws IOException {
                throw new IOException("injected: the sync fails after the write");
            }
        };
        String body = "Subject: refused-by-a-failed-sync\r\n\r\nbody\r\n";
        SpoolWriter writer = written(spool, body);
        String id = writer.id();
        assertThatThrownBy(() -> writer.commit(envelope(id, body.length()))).isInstanceOf(IOException.class); // 451
        Journal.fault = null;
        Path segment;
        try (Stream<Path> files = Files.list(queue.resolve("journal"))) {
            segment = files.filter(p -> p.toString().endsWith(".jnl")).findFirst().orElseThrow();
        }
        assertThat(Files.readString(segment, StandardCharsets.ISO_8859_1))
                .as("the failed batch is cut off the segment").doesNotContain("refused-by-a-failed-sync")
                .contains("Subject: kept");
        spool.simulateCrash();

        Spool reopened = new Spool(queue);
        try {
            assertThat(reopened.storedIds()).containsExactly(first.id());
            assertThat(Spool.corruptSegments(queue)).isEmpty();
        } finally {
            reopened.close();
        }
    }
}
