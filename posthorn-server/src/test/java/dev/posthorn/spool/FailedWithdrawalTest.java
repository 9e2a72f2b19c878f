package dev.posthorn.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A session gave up on a slow sync (451) while its record was being written: the writer follows that batch with
 * the record's tombstone. When writing the tombstone fails, it is written in the next batch, not given up: else
 * the refused message sits alone in the journal and a replay delivers it although its client was told 451.
 */
class FailedWithdrawalTest {

    @TempDir
    Path queue;

    @AfterEach
    void healthy() {
        Journal.fault = null;
        System.clearProperty("posthorn.spool.sync-deadline-millis");
    }

    @Test
    void aTombstoneWhoseWriteFailedIsWrittenInTheNextBatch() throws Exception {
        System.setProperty("posthorn.spool.sync-deadline-millis", "300");
        Spool spool = new Spool(queue);
        AtomicInteger batches = new AtomicInteger();
        AtomicInteger withdrawalWrites = new AtomicInteger();
        Journal.fault = new Journal.Fault() {
            @Override
            public void beforeWrite() {
                if (batches.incrementAndGet() == 1) {
                    try {
                        Thread.sleep(800); // slower than the deadline: the session answers 451 meanwhile
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }

            @Override
            public void beforeWithdrawals() throws IOException {
                if (withdrawalWrites.incrementAndGet() == 1) {
                    throw new IOException("injected: the tombstone's write fails");
                }
            }
        };
        String body = "Subject: refused\r\n\r\nbody\r\n";
        SpoolWriter writer = spool.begin();
        try (OutputStream out = writer.content()) {
            out.write(body.getBytes(StandardCharsets.US_ASCII));
        }
        String id = writer.id();
        assertThatThrownBy(() -> writer.commit(new Envelope(id, Instant.now(), "a@example.org",
                List.of(new EnvelopeRecipient("someone@remote.example", Set.of(), null, false)), "7BIT", false, null,
                null, null, "127.0.0.1", "client.test", body.length()))).isInstanceOf(IOException.class); // 451
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (withdrawalWrites.get() == 0 || spool.journal().writing()) {
            assertThat(System.nanoTime()).as("waiting for the tombstone's write").isLessThan(until);
            Thread.sleep(5);
        }
        spool.journal().syncAll(); // the failed tombstone write is over: this barrier queues behind what comes next
        spool.simulateCrash(); // kill -9
        Journal.fault = null;

        Spool reopened = new Spool(queue);
        try {
            assertThat(reopened.storedIds()).as("a message refused with 451").doesNotContain(id);
        } finally {
            reopened.close();
        }
    }
}
