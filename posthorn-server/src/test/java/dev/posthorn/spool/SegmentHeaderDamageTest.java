package dev.posthorn.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One damaged octet in the 20-octet segment header (a bad sector) must not lose the acknowledged messages behind
 * it: the salt and key come back from the records themselves (from the second queue review's
 * ReviewSegmentHeaderDamageTest). The segment is still set aside, and what its note says is true.
 */
class SegmentHeaderDamageTest {

    @TempDir
    Path queue;

    private static String commit(Spool spool, byte[] bytes) throws IOException {
        SpoolWriter writer = spool.begin();
        try (OutputStream out = writer.content()) {
            out.write(bytes);
        }
        writer.commit(new Envelope(writer.id(), Instant.parse("2026-01-01T00:00:00Z"), "a@example.org",
                List.of(new EnvelopeRecipient("bob@localhost", Set.of(), null, true)), "7BIT", false, null,
                null, null, "127.0.0.1", "client.test", bytes.length));
        return writer.id();
    }

    /** Commits {@code count} messages, then stops as kill -9 would: they are only in the journal's one segment. */
    private List<String> ackedThenKilled(int count) throws Exception {
        Spool spool = new Spool(queue);
        List<String> acked = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            acked.add(commit(spool, ("Subject: " + i + "\r\n\r\nbody\r\n").getBytes(StandardCharsets.US_ASCII)));
        }
        spool.simulateCrash();
        return acked;
    }

    private Path segment() throws IOException {
        try (var segments = Files.list(queue.resolve("journal"))) {
            return segments.filter(p -> p.toString().endsWith(".jnl")).findFirst().orElseThrow();
        }
    }

    private static void flip(Path file, long offset) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, offset);
            b.put(0, (byte) (b.get(0) ^ 0x01)).rewind();
            ch.write(b, offset);
        }
    }

    private String note() throws IOException {
        List<CorruptSegment> aside = JournalReplay.corruptSegments(queue.resolve("journal"));
        assertThat(aside).as("the damaged segment is kept for a person to look at").hasSize(1);
        return aside.get(0).reason();
    }

    /** Offsets 0 (magic), 6 (salt), 13 (key), 17 (the header's own check). */
    @ParameterizedTest
    @ValueSource(ints = {0, 6, 13, 17})
    void oneDamagedHeaderOctetLosesNoAcknowledgedMessage(int offset) throws Exception {
        List<String> acked = ackedThenKilled(3);
        flip(segment(), offset);
        Spool reopened = new Spool(queue);
        try {
            assertThat(reopened.storedIds()).as("acknowledged messages after one damaged header octet")
                    .containsExactlyInAnyOrderElementsOf(acked);
            assertThat(note()).contains("damaged segment header").contains("Every record was recovered");
        } finally {
            reopened.close();
        }
    }

    /** With one record only there is no second to confirm it: the rest of the damaged header does. */
    @Test
    void aSegmentWithOneRecordIsConfirmedByWhatIsLeftOfTheHeader() throws Exception {
        List<String> acked = ackedThenKilled(1);
        flip(segment(), 17);
        Spool reopened = new Spool(queue);
        try {
            assertThat(reopened.storedIds()).containsExactlyElementsOf(acked);
        } finally {
            reopened.close();
        }
    }

    /** Header and first record damaged: nothing confirms a key, nothing is read, and the note does not pretend. */
    @Test
    void whenTheKeyCannotBeRecoveredTheNoteSaysRecordsWereNotRecovered() throws Exception {
        ackedThenKilled(3);
        Path segment = segment();
        flip(segment, 17);
        flip(segment, Journal.SEGMENT_HEADER + Journal.RECORD_HEADER + 5); // inside the first record's body
        Spool reopened = new Spool(queue);
        try {
            assertThat(note()).contains("NOT every record was recovered").doesNotContain("Every intact record");
        } finally {
            reopened.close();
        }
    }
}
