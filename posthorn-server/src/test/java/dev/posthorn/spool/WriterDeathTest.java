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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal's writer thread really dies (an error outside any write: a bug): sessions are refused at once
 * (their 451), not after the sync deadline; the spool says it is not healthy, for a readiness check; what was
 * acknowledged before survives a restart.
 */
class WriterDeathTest {

    @TempDir
    Path queue;

    @AfterEach
    void healthy() {
        Journal.fault = null;
    }

    private static String commit(Spool spool, String body) throws IOException {
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

    @Test
    void aDeadWriterIsReportedAndEverySessionIsRefusedAtOnce() throws Exception {
        Spool spool = new Spool(queue);
        assertThat(spool.journalHealthy()).isTrue();
        Journal.fault = new Journal.Fault() {
            @Override
            public void beforeWrite() {
            }

            @Override
            public void afterBatch() {
                throw new OutOfMemoryError("injected: the writer thread dies");
            }
        };
        String acknowledged = commit(spool, "Subject: before\r\n\r\nbody\r\n"); // durable, then the thread dies
        // The fault stays until the writer has died: it reads it after completing the batch's futures, so clearing
        // it as soon as commit returns raced with it (the writer could find it gone and live on).
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (spool.journalHealthy() && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        Journal.fault = null;
        assertThat(spool.journalHealthy()).as("health after the writer died").isFalse();

        long started = System.nanoTime();
        assertThatThrownBy(() -> commit(spool, "Subject: after\r\n\r\nbody\r\n")).isInstanceOf(IOException.class)
                .hasMessageContaining("writer");
        assertThat((System.nanoTime() - started) / 1_000_000).as("ms to refuse (deadline 5000)").isLessThan(1000);
        spool.simulateCrash();

        Spool reopened = new Spool(queue);
        try {
            assertThat(reopened.storedIds()).containsExactly(acknowledged);
            assertThat(reopened.journalHealthy()).isTrue();
        } finally {
            reopened.close();
        }
    }
}
