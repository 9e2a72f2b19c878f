package dev.posthorn.spool;

import static dev.posthorn.spool.JournalTestMessages.commit;
import static dev.posthorn.spool.JournalTestMessages.onlySegment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
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

    /**
     * The first batch's sync fails and so does its cut-back (with a blocker file, no new segment opens either);
     * with {@code laterWritesFail}, every batch after it fails too. {@code writes} counts the batches.
     */
    private static Journal.Fault syncAndCutBackFailOnce(java.util.concurrent.atomic.AtomicInteger writes,
                                                        boolean laterWritesFail) {
        AtomicBoolean syncFails = new AtomicBoolean(true);
        AtomicBoolean cutFails = new AtomicBoolean(true);
        return new Journal.Fault() {
            @Override
            public void beforeWrite() throws IOException {
                if (writes.incrementAndGet() > 1 && laterWritesFail) {
                    throw new IOException("injected: the next batch (the tombstone's) fails too");
                }
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
        Path segment = onlySegment(queue);
        Path blocker = Journal.segmentFile(queue.resolve("journal"), Journal.number(segment) + 1);
        Files.createFile(blocker); // the new segment's CREATE_NEW fails: "cannot open a new segment either"
        Journal.fault = syncAndCutBackFailOnce(new java.util.concurrent.atomic.AtomicInteger(), false);
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
        Path segment = onlySegment(queue);
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

    /**
     * A refused batch that could not be cut back, and the tombstone of its record refused and cut back in its turn
     * (a third review's case): the refused message must not come back in a replay. Its octets are erased.
     */
    @Test
    void aRefusedRecordIsNotReplayedWhenItsTombstoneFailsToo() throws Exception {
        Spool spool = new Spool(queue);
        String first = commit(spool, "Subject: first\r\n\r\nbody\r\n");
        Path segment = onlySegment(queue);
        Path blocker = Journal.segmentFile(queue.resolve("journal"), Journal.number(segment) + 1);
        Files.createFile(blocker);
        java.util.concurrent.atomic.AtomicInteger writes = new java.util.concurrent.atomic.AtomicInteger();
        Journal.fault = syncAndCutBackFailOnce(writes, true);
        SpoolWriter refused = spool.begin();
        assertThatThrownBy(() -> commit(refused, "Subject: refused\r\n\r\nbody\r\n")).isInstanceOf(IOException.class);
        assertThat(writes.get()).as("the refused batch, then the tombstone's").isGreaterThanOrEqualTo(2);
        Journal.fault = null;
        Files.delete(blocker);
        spool.simulateCrash();

        Spool reopened = new Spool(queue);
        try {
            assertThat(reopened.storedIds()).as("acknowledged, and only those (%s was answered 451)", refused.id())
                    .containsExactly(first);
        } finally {
            reopened.close();
        }
    }

    /** A damaged length where the last record's check ends in zero octets (the segment's key rewritten so). */
    @Test
    void aDamagedLengthIsFoundWhenTheLastRecordsCheckEndsInZeros() throws Exception {
        Spool spool = new Spool(queue);
        String first = commit(spool, "Subject: first\r\n\r\nbody\r\n");
        commit(spool, "Subject: last\r\n\r\nbody of the last acknowledged message\r\n");
        spool.simulateCrash();
        Path segment = onlySegment(queue);
        List<long[]> records = new java.util.ArrayList<>(); // offset, end
        try (FileChannel channel = FileChannel.open(segment)) {
            JournalReader reader = new JournalReader(channel);
            while (reader.next() instanceof JournalReader.Record r) {
                records.add(new long[] {r.offset(), channel.position()});
            }
        }
        assertThat(records).hasSize(2);
        byte[] bytes = Files.readAllBytes(segment);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes);
        int oldKey = b.getInt(12);
        int lastEnd = (int) records.get(1)[1];
        int newKey = b.getInt(lastEnd - 4) ^ oldKey ^ 0x5A5A0000; // the last record's stored check: 5A 5A 00 00
        for (long[] r : records) {
            int end = (int) r[1];
            b.putInt(end - 4, b.getInt(end - 4) ^ oldKey ^ newKey);
        }
        b.putInt(12, newKey);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(bytes, 0, Journal.SEGMENT_HEADER - 4);
        b.putInt(Journal.SEGMENT_HEADER - 4, (int) crc.getValue());
        assertThat(b.getShort(lastEnd - 2)).as("the check ends in zero octets").isZero();
        int lengthAt = (int) records.get(1)[0] + 8;
        b.putInt(lengthAt, b.getInt(lengthAt) | (1 << 12)); // one bit set: the record now reaches into the zeros
        Files.write(segment, bytes);

        Spool reopened = new Spool(queue);
        try {
            assertThat(reopened.storedIds()).containsExactly(first);
            assertThat(Spool.corruptSegments(queue)).singleElement()
                    .satisfies(c -> assertThat(c.reason()).contains("its length field is damaged"));
        } finally {
            reopened.close();
        }
    }
}
