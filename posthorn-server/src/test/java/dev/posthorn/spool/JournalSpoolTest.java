package dev.posthorn.spool;

import static dev.posthorn.spool.JournalTestMessages.onlySegment;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal's promise: what {@link SpoolWriter#commit} returned for is in the spool after a restart, even
 * when the files written after the journal sync were lost (a machine crash before the page cache reached the
 * disk, simulated by deleting them), and what was removed stays removed.
 */
class JournalSpoolTest {

    @TempDir
    Path queue;

    private static Envelope envelope(String id, long size) {
        return new Envelope(id, Instant.parse("2026-01-01T00:00:00Z"), "a@example.org",
                List.of(new EnvelopeRecipient("postmaster@localhost", Set.of(), null, true)), "7BIT", false, null,
                null, null, "127.0.0.1", "client.test", size);
    }

    private static String commit(Spool spool, String body) throws IOException {
        SpoolWriter writer = spool.begin();
        byte[] bytes = body.getBytes(StandardCharsets.US_ASCII);
        try (OutputStream out = writer.content()) {
            out.write(bytes);
        }
        writer.commit(envelope(writer.id(), bytes.length));
        return writer.id();
    }

    /** A restart brings back exactly these messages, and sets no segment aside as damaged. */
    private void replaysExactly(List<String> ids) throws IOException {
        Spool reopened = new Spool(queue);
        try {
            assertThat(reopened.storedIds()).containsExactlyInAnyOrderElementsOf(ids);
            assertThat(Spool.corruptSegments(queue)).isEmpty();
        } finally {
            reopened.close();
        }
    }

    @Test
    void heldMessagesAreReadableFromMemoryAndSurviveACrashThroughTheJournal() throws Exception {
        Spool spool = new Spool(queue);
        String kept = commit(spool, "Subject: kept\r\n\r\nbody\r\n");
        String removed = commit(spool, "Subject: removed\r\n\r\nbody\r\n");
        String deferred = commit(spool, "Subject: deferred\r\n\r\nbody\r\n");
        // All-local mail is held for immediate delivery: no queue files unless it has to wait.
        assertThat(spool.envelopeFile(kept)).doesNotExist();
        try (var in = spool.openContent(kept)) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII))
                    .isEqualTo("Subject: kept\r\n\r\nbody\r\n");
        }
        spool.materialize(deferred);
        assertThat(Files.readString(spool.messageFile(deferred))).isEqualTo("Subject: deferred\r\n\r\nbody\r\n");
        assertThat(EnvelopeCodec.read(spool.envelopeFile(deferred)).id()).isEqualTo(deferred);
        spool.remove(removed);
        // A machine crash: only what was synced counts. The journal holds all three and the tombstone.
        spool.journal().syncAll();
        spool.simulateCrash();
        Files.delete(spool.messageFile(deferred));
        Files.delete(spool.envelopeFile(deferred));

        Spool reopened = new Spool(queue);
        try {
            assertThat(Files.readString(reopened.messageFile(kept))).isEqualTo("Subject: kept\r\n\r\nbody\r\n");
            assertThat(EnvelopeCodec.read(reopened.envelopeFile(kept))).isEqualTo(envelope(kept, 23));
            assertThat(reopened.envelopeFile(deferred)).exists();
            assertThat(reopened.envelopeFile(removed)).doesNotExist();
            assertThat(reopened.messageFile(removed)).doesNotExist();
        } finally {
            reopened.close();
        }
    }

    /**
     * A segment is written with zeros ahead of its records (so its sync need not write the inode each time), in
     * whole steps, with zeros after the last record; records beyond a step grow it by another; and a restart reads
     * the zeros as the end, not as damage.
     */
    @Test
    void segmentsAreWrittenAheadWithZerosAndTheZerosReadAsTheirEnd() throws Exception {
        Spool spool = new Spool(queue);
        List<String> ids = new ArrayList<>();
        ids.add(commit(spool, "Subject: small\r\n\r\nbody\r\n"));
        for (int i = 0; i < 5; i++) { // 5 MB in the journal (each under its limit for content kept in the journal)
            ids.add(commit(spool, "Subject: big\r\n\r\n" + "x".repeat(1_000_000) + "\r\n"));
        }
        spool.journal().syncAll();
        spool.simulateCrash();
        Path segment = onlySegment(queue);
        long records = SpoolCrash.recordsEnd(segment);
        assertThat(records).isGreaterThan(Journal.PREALLOCATION);
        assertThat(Files.size(segment)).isEqualTo(2 * Journal.PREALLOCATION);
        try (var channel = java.nio.channels.FileChannel.open(segment)) {
            JournalReader reader = new JournalReader(channel);
            JournalReader.Step step;
            do {
                step = reader.next();
            } while (step instanceof JournalReader.Record);
            assertThat(step).as("the zeros after the last record").isInstanceOf(JournalReader.End.class);
        }

        replaysExactly(ids);
    }

    /**
     * A sync with nothing to write (a barrier) writes no zeros ahead, and a segment with zeros but no record yet is
     * no journal holding records for {@code posthorn queue list} (the full suite found both).
     */
    @Test
    void anEmptySegmentGetsNoZerosAndZerosAreNoRecords() throws Exception {
        Spool spool = new Spool(queue);
        try {
            spool.journal().syncAll();
            assertThat(Files.size(onlySegment(queue))).isEqualTo(Journal.SEGMENT_HEADER);
        } finally {
            spool.close();
        }
        for (Path segment : Files.newDirectoryStream(queue.resolve("journal"), "*.jnl")) {
            Files.delete(segment);
        }
        Path segment = queue.resolve("journal").resolve("0000000000000009.jnl");
        byte[] zeros = new byte[(int) Journal.PREALLOCATION];
        Files.write(segment, zeros);
        assertThat(Spool.journalHoldsRecords(queue)).isFalse();
        zeros[Journal.SEGMENT_HEADER] = 1;
        Files.write(segment, zeros);
        assertThat(Spool.journalHoldsRecords(queue)).isTrue();
    }

    /** Sealed, a segment is written no more: its zeros are cut off, and it takes only what its records take. */
    @Test
    void aSealedSegmentLosesItsZeros() throws Exception {
        Spool spool = new Spool(queue);
        try {
            commit(spool, "Subject: one\r\n\r\nbody\r\n");
            Journal.Segment sealed = spool.journal().sealIfDue(0);
            assertThat(sealed).isNotNull();
            assertThat(Files.size(sealed.file)).isEqualTo(Journal.PREALLOCATION);
            spool.journal().closeSealed(sealed);
            assertThat(Files.size(sealed.file)).isEqualTo(SpoolCrash.recordsEnd(sealed.file)).isGreaterThan(
                    Journal.SEGMENT_HEADER);
        } finally {
            spool.close();
        }
    }

    /**
     * A disk that fills while the zeros are written (their first chunk got there): the message is still acknowledged
     * and replayed, the zeros that got there are cut off again, and the segment is appended to from then on without
     * trying again at every batch.
     */
    @Test
    void zerosTheDiskRefusesCostOnlyTheSaving() throws Exception {
        java.util.concurrent.atomic.AtomicInteger chunks = new java.util.concurrent.atomic.AtomicInteger();
        Journal.fault = new Journal.Fault() {
            @Override
            public void beforeWrite() {
            }

            @Override
            public void beforeZeros() throws IOException {
                if (chunks.incrementAndGet() > 1) {
                    throw new IOException("injected: No space left on device");
                }
            }
        };
        List<String> ids = new ArrayList<>();
        try {
            Spool spool = new Spool(queue);
            for (int i = 0; i < 3; i++) {
                ids.add(commit(spool, "Subject: " + i + "\r\n\r\nbody\r\n"));
            }
            spool.journal().syncAll();
            spool.simulateCrash();
        } finally {
            Journal.fault = null;
        }
        assertThat(chunks.get()).as("chunks of zeros tried: one written, one refused, then none").isEqualTo(2);
        Path segment = onlySegment(queue);
        assertThat(Files.size(segment)).as("no zeros after the records").isEqualTo(SpoolCrash.recordsEnd(segment));
        replaysExactly(ids);
    }

    @Test
    void aCheckpointWritesAndSyncsHeldMessagesBeforeDroppingTheSegment() throws Exception {
        Spool spool = new Spool(queue);
        String id = commit(spool, "held\r\n");
        spool.checkpoint(true);
        assertThat(Files.readString(spool.messageFile(id))).isEqualTo("held\r\n");
        assertThat(spool.envelopeFile(id)).exists();
        try (var in = spool.openContent(id)) {
            assertThat(in.readAllBytes()).hasSize(6);
        }
        spool.remove(id).get(5, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(spool.envelopeFile(id)).doesNotExist();
        assertThat(spool.messageFile(id)).doesNotExist();
        spool.close();
    }

    @Test
    void aRemovalAfterTheCheckpointIsNotUndoneByReplay() throws Exception {
        Spool spool = new Spool(queue);
        String first = commit(spool, "one\r\n");
        spool.checkpoint(true);
        try (var segments = Files.list(queue.resolve("journal"))) {
            // Only the fresh, empty segment is left: the sealed one was checkpointed and deleted.
            assertThat(segments.toList()).hasSize(1);
        }
        spool.remove(first).get(5, java.util.concurrent.TimeUnit.SECONDS);
        String second = commit(spool, "two\r\n");
        spool.simulateCrash();
        Spool reopened = new Spool(queue);
        try {
            assertThat(reopened.envelopeFile(first)).doesNotExist();
            assertThat(reopened.envelopeFile(second)).exists();
        } finally {
            reopened.close();
        }
    }

    @Test
    void concurrentCommitsShareSyncs() throws Exception {
        Spool spool = new Spool(queue);
        Set<String> ids = ConcurrentHashMap.newKeySet();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 16; t++) {
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    for (int i = 0; i < 50; i++) {
                        ids.add(commit(spool, "message\r\n"));
                    }
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(ids).hasSize(800);
        assertThat(spool.journal().statistics()).contains("records=800");
        // Group commit: one fdatasync covered several sessions' records.
        assertThat(spool.journal().syncs()).as(spool.journal().statistics()).isLessThan(spool.journal().recordsSynced());
        // Closing checkpoints: every held message gets its files, synced.
        spool.close();
        for (String id : ids) {
            assertThat(spool.envelopeFile(id)).exists();
        }
        Spool reopened = new Spool(queue);
        try (var envs = Files.newDirectoryStream(queue, "*.env")) {
            int n = 0;
            for (Path ignored : envs) {
                n++;
            }
            assertThat(n).isEqualTo(800);
        } finally {
            reopened.close();
        }
    }

    @Test
    void largeMessagesStreamToTheirFileAndAreSyncedDirectly() throws Exception {
        Spool spool = new Spool(queue);
        try {
            SpoolWriter writer = spool.begin();
            byte[] chunk = new byte[64 * 1024];
            java.util.Arrays.fill(chunk, (byte) 'x');
            for (int i = 0; i < 20; i++) {
                writer.content().write(chunk);
            }
            assertThat(spool.messageFile(writer.id())).exists();
            writer.commit(envelope(writer.id(), 20L * chunk.length));
            assertThat(Files.size(spool.messageFile(writer.id()))).isEqualTo(20L * chunk.length);
            assertThat(spool.envelopeFile(writer.id())).exists();
        } finally {
            spool.close();
        }
    }

    @Test
    void anAbortedMessageLeavesNothing() throws Exception {
        Spool spool = new Spool(queue);
        try {
            SpoolWriter writer = spool.begin();
            writer.content().write("partial".getBytes(StandardCharsets.US_ASCII));
            writer.abort();
            try (var files = Files.newDirectoryStream(queue, "*.{msg,env}")) {
                assertThat(files.iterator().hasNext()).isFalse();
            }
        } finally {
            spool.close();
        }
    }
}
