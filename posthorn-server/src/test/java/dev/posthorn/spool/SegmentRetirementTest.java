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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A journal segment is retired (deleted) only after everything it holds is safe elsewhere, and strictly in order:
 * a seal that fails once (a failed write, or a sync slower than the deadline, while the checkpoint waits for the
 * sealed segment's last batch) is tried again at the next checkpoint, and no later segment is retired past it.
 * Otherwise the segment would stay on disk and, at the next start, be replayed before everything else: delivered
 * messages would come back.
 */
class SegmentRetirementTest {

    @TempDir
    Path queue;

    @AfterEach
    void healthy() {
        Journal.fault = null;
        System.clearProperty("posthorn.spool.sync-deadline-millis");
    }

    static String commit(Spool spool, String body) throws IOException {
        SpoolWriter writer = spool.begin();
        byte[] bytes = body.getBytes(StandardCharsets.US_ASCII);
        try (OutputStream out = writer.content()) {
            out.write(bytes);
        }
        writer.commit(new Envelope(writer.id(), Instant.parse("2026-01-01T00:00:00Z"), "a@example.org",
                List.of(new EnvelopeRecipient("postmaster@localhost", Set.of(), null, true)), "7BIT", false, null,
                null, null, "127.0.0.1", "client.test", bytes.length));
        return writer.id();
    }

    static List<Path> segments(Path queue) throws IOException {
        try (Stream<Path> files = Files.list(queue.resolve("journal"))) {
            return files.filter(p -> p.toString().endsWith(".jnl")).sorted().toList();
        }
    }

    @Test
    void aRemovedMessageStaysRemovedAfterASealThatFailedOnce() throws Exception {
        Spool spool = new Spool(queue);
        String id = commit(spool, "Subject: once\r\n\r\nbody\r\n");
        Journal.fault = () -> {
            throw new IOException("injected: one failed journal write");
        };
        assertThatThrownBy(() -> spool.checkpoint(true)).isInstanceOf(IOException.class);
        Journal.fault = null;

        // Delivered: the tombstone is durable, the files are gone, every segment is checkpointed and retired.
        spool.remove(id).get(5, TimeUnit.SECONDS);
        spool.checkpoint(true);
        assertThat(segments(queue)).as("only the current segment is left").hasSize(1);
        spool.close(); // a clean stop, not even a crash

        Spool reopened = new Spool(queue);
        try {
            assertThat(reopened.storedIds()).as("a delivered message must not come back").doesNotContain(id);
        } finally {
            reopened.close();
        }
    }

    @Test
    void aRemovedMessageStaysRemovedAfterOneSyncSlowerThanTheDeadlineDuringASeal() throws Exception {
        System.setProperty("posthorn.spool.sync-deadline-millis", "300");
        Spool spool = new Spool(queue);
        String id = commit(spool, "Subject: once\r\n\r\nbody\r\n");
        CountDownLatch diskBack = new CountDownLatch(1);
        AtomicBoolean first = new AtomicBoolean(true);
        Journal.fault = () -> {
            if (first.getAndSet(false)) {
                try {
                    diskBack.await(); // one slow write and sync, no error at all
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        long syncsBefore = spool.journal().syncs();
        assertThatThrownBy(() -> spool.checkpoint(true)).isInstanceOf(IOException.class);
        diskBack.countDown();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (spool.journal().syncs() == syncsBefore && System.nanoTime() < until) {
            Thread.sleep(5); // the slow batch completes: the disk is back
        }

        spool.remove(id).get(5, TimeUnit.SECONDS);
        spool.checkpoint(true);
        assertThat(segments(queue)).as("only the current segment is left").hasSize(1);
        spool.close();

        Spool reopened = new Spool(queue);
        try {
            assertThat(reopened.storedIds()).as("a delivered message must not come back").doesNotContain(id);
        } finally {
            reopened.close();
        }
    }

    @Test
    void aSegmentTheWriterLeftAfterAFailedCutBackIsRetiredInItsTurn() throws Exception {
        Spool spool = new Spool(queue);
        String delivered = commit(spool, "Subject: first\r\n\r\nbody\r\n");
        Journal.fault = new Journal.Fault() {
            @Override
            public void beforeWrite() throws IOException {
                throw new IOException("injected: a failed write");
            }

            @Override
            public void beforeCutBack() throws IOException {
                throw new IOException("injected: the truncate fails too");
            }
        };
        assertThatThrownBy(() -> commit(spool, "Subject: refused\r\n\r\nbody\r\n")).isInstanceOf(IOException.class);
        Journal.fault = null;

        spool.remove(delivered).get(5, TimeUnit.SECONDS); // its tombstone goes to the writer's new segment
        spool.checkpoint(true);
        assertThat(segments(queue)).as("the segment left behind is retired too").hasSize(1);
        spool.close();

        Spool reopened = new Spool(queue);
        try {
            assertThat(reopened.storedIds()).as("a delivered message must not come back").doesNotContain(delivered);
        } finally {
            reopened.close();
        }
    }
}
