package dev.posthorn.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The end of a segment written with zeros ahead, where a cold review found acknowledged records at risk: the cut
 * that drops the zeros must not drop records written after a failed batch that could not be cut back, and a
 * last record whose length field was damaged later is corruption (kept aside), not a torn write (dropped).
 */
class JournalTailDamageTest {

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

    private Path onlySegment() throws IOException {
        try (Stream<Path> files = Files.list(queue.resolve("journal"))) {
            List<Path> segments = files.filter(p -> p.toString().endsWith(".jnl")).toList();
            assertThat(segments).hasSize(1);
            return segments.get(0);
        }
    }

    /**
     * A batch whose sync fails, whose cut-back fails too, and no new segment to go on in: later batches are written
     * after the failed one in the same segment. Sealing it (which cuts off what follows its records) must keep them,
     * whether the refused record is longer than what follows it or not.
     */
    @ParameterizedTest
    @ValueSource(ints = {4000, 20})
    void theSealKeepsRecordsWrittenAfterABatchThatCouldNotBeCutBack(int longer) throws Exception {
        Spool spool = new Spool(queue);
        String first = commit(spool, "Subject: first\r\n\r\nbody\r\n");
        Path segment = onlySegment();
        Path blocker = Journal.segmentFile(queue.resolve("journal"), Journal.number(segment) + 1);
        Files.createFile(blocker); // the new segment's CREATE_NEW fails: "cannot open a new segment either"
        AtomicBoolean syncFails = new AtomicBoolean(true);
        AtomicBoolean cutFails = new AtomicBoolean(true);
        Journal.fault = new Journal.Fault() {
            @Override
            public void beforeWrite() {
            }

            @Override
            public void afterWrite() throws IOException {
                if (syncFails.getAndSet(false)) {
                    throw new IOException("injected: the sync fails");
                }
            }

            @Override
            public void beforeCutBack() throws IOException {
                if (cutFails.getAndSet(false)) {
                    throw new IOException("injected: the truncate fails too");
                }
            }
        };
        assertThatThrownBy(() -> commit(spool, "Subject: refused\r\n\r\n" + "r".repeat(200 + longer) + "\r\n"))
                .isInstanceOf(IOException.class);
        Journal.fault = null;
        Files.delete(blocker);
        String last = commit(spool, "Subject: last\r\n\r\n" + "l".repeat(200) + "\r\n");

        Journal.Segment sealed = spool.journal().sealIfDue(0);
        assertThat(sealed).isNotNull();
        spool.journal().closeSealed(sealed); // the checkpointer's step; a crash before the segment is retired
        spool.simulateCrash();

        Spool reopened = new Spool(queue);
        try {
            assertThat(reopened.storedIds()).as("acknowledged, and only those").containsExactlyInAnyOrder(first, last);
        } finally {
            reopened.close();
        }
    }

    /** The last record's length field, one bit set later: bits 12, 16 and 24 of the big-endian length. */
    @ParameterizedTest
    @ValueSource(ints = {12, 16, 24})
    void aDamagedLengthOfTheLastRecordIsKeptAsideNotDroppedAsTorn(int bit) throws Exception {
        Spool spool = new Spool(queue);
        String first = commit(spool, "Subject: first\r\n\r\nbody\r\n");
        commit(spool, "Subject: last\r\n\r\nbody of the last acknowledged message\r\n");
        spool.simulateCrash();
        Path segment = onlySegment();
        long lastOffset = -1;
        try (FileChannel channel = FileChannel.open(segment)) {
            JournalReader reader = new JournalReader(channel);
            while (reader.next() instanceof JournalReader.Record r) {
                lastOffset = r.offset();
            }
        }
        byte[] bytes = Files.readAllBytes(segment);
        int octet = (int) lastOffset + 8 + 3 - bit / 8; // the length follows the salt
        assertThat(bytes[octet] & (1 << (bit % 8))).as("the bit was clear").isZero();
        bytes[octet] ^= (byte) (1 << (bit % 8));
        Files.write(segment, bytes);

        Spool reopened = new Spool(queue);
        try {
            assertThat(reopened.storedIds()).contains(first);
            assertThat(Spool.corruptSegments(queue)).as("the damaged segment, kept for a person to look at")
                    .singleElement().satisfies(c -> assertThat(c.reason()).contains("its length field is damaged"));
        } finally {
            reopened.close();
        }
    }
}
