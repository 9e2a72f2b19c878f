package dev.posthorn.spool;

import static dev.posthorn.spool.JournalTestMessages.commit;
import static dev.posthorn.spool.JournalTestMessages.onlySegment;
import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * A damaged journal record is never a reason to throw a segment away: the segment is moved aside and kept, every
 * intact record in it (before and after the damage) is recovered, the log says so and {@code posthorn queue list}
 * lists it. A record torn by a crash at the end of a segment (never acknowledged) is simply dropped.
 */
class CorruptSegmentTest {

    @TempDir
    Path data;

    private Path queue() {
        return data.resolve("queue");
    }

    private static int indexOf(byte[] haystack, String needle) {
        byte[] n = needle.getBytes(StandardCharsets.US_ASCII);
        outer:
        for (int i = 0; i + n.length <= haystack.length; i++) {
            for (int j = 0; j < n.length; j++) {
                if (haystack[i + j] != n[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError(needle + " not found");
    }

    private String queueList() {
        CommandLine cli = Main.commandLine();
        StringWriter out = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(new StringWriter(), true));
        assertThat(cli.execute("queue", "list", "--data-dir", data.toString())).isZero();
        return out.toString();
    }

    @Test
    void aDamagedRecordSetsItsSegmentAsideAndEveryIntactRecordIsRecovered() throws Exception {
        Spool spool = new Spool(queue());
        String first = commit(spool, "Subject: first\r\n\r\nbody\r\n");
        String second = commit(spool, "Subject: second\r\n\r\nbody\r\n");
        String third = commit(spool, "Subject: third\r\n\r\nbody\r\n");
        spool.simulateCrash();
        Path segment = onlySegment(queue());
        byte[] bytes = Files.readAllBytes(segment);
        bytes[indexOf(bytes, "second")] ^= 0x20; // one flipped bit in the second message's content
        Files.write(segment, bytes);

        Spool reopened = new Spool(queue());
        try {
            assertThat(reopened.envelopeFile(first)).exists();
            assertThat(Files.readString(reopened.messageFile(third))).isEqualTo("Subject: third\r\n\r\nbody\r\n");
            assertThat(reopened.envelopeFile(second)).doesNotExist();
            assertThat(segment).doesNotExist();
            List<CorruptSegment> aside = Spool.corruptSegments(queue());
            assertThat(aside).singleElement().satisfies(c -> {
                assertThat(c.file().getFileName()).isEqualTo(segment.getFileName());
                assertThat(Files.readAllBytes(c.file())).isEqualTo(bytes);
                assertThat(c.reason()).contains("checksum mismatch", "an intact record follows");
            });
        } finally {
            reopened.close();
        }
        // Reported by the command operators use, and still kept after another start.
        new Spool(queue()).close();
        assertThat(queueList()).contains("Journal segments set aside because of a damaged record",
                segment.getFileName().toString(), "checksum mismatch");
        assertThat(Spool.corruptSegments(queue())).hasSize(1);
    }

    /**
     * The last acknowledged record of a segment, damaged later (one flipped bit in its stored check, 2 octets
     * before its end, or in its content, 12 before), with the zeros written ahead after it: still corruption, kept
     * aside, not a torn write dropped as never acknowledged (a cold review found it dropped that way).
     */
    @ParameterizedTest
    @ValueSource(ints = {2, 12})
    void aDamagedLastRecordBeforeTheZerosIsKeptAsideNotDroppedAsTorn(int fromEnd) throws Exception {
        Spool spool = new Spool(queue());
        String first = commit(spool, "Subject: first\r\n\r\nbody\r\n");
        String last = commit(spool, "Subject: last\r\n\r\nbody of the last acknowledged message\r\n");
        spool.simulateCrash();
        Path segment = onlySegment(queue());
        long end = SpoolCrash.recordsEnd(segment);
        assertThat(Files.size(segment)).as("zeros after the last record").isGreaterThan(end);
        byte[] bytes = Files.readAllBytes(segment);
        bytes[(int) (end - fromEnd)] ^= 0x20;
        Files.write(segment, bytes);

        Spool reopened = new Spool(queue());
        try {
            assertThat(reopened.envelopeFile(first)).exists();
            assertThat(reopened.envelopeFile(last)).doesNotExist(); // its bytes are damaged: not delivered as they are
            assertThat(Spool.corruptSegments(queue())).as("the damaged segment, kept for a person to look at")
                    .singleElement().satisfies(c -> {
                        assertThat(c.reason()).contains("checksum mismatch");
                        assertThat(Files.readAllBytes(c.file())).isEqualTo(bytes);
                    });
        } finally {
            reopened.close();
        }
    }

    @Test
    void aRecordTornByACrashAtTheEndIsDroppedQuietly() throws Exception {
        Spool spool = new Spool(queue());
        String kept = commit(spool, "Subject: kept\r\n\r\nbody\r\n");
        spool.simulateCrash();
        Path segment = onlySegment(queue());
        // The start of a record whose write the crash cut short (the same record again, with the segment's own
        // salt), where the next record would have gone: the zeros written ahead of the records follow it.
        byte[] bytes = Files.readAllBytes(segment);
        byte[] torn = java.util.Arrays.copyOfRange(bytes, Journal.SEGMENT_HEADER, Journal.SEGMENT_HEADER + 40);
        try (var channel = java.nio.channels.FileChannel.open(segment, StandardOpenOption.WRITE)) {
            channel.write(java.nio.ByteBuffer.wrap(torn), SpoolCrash.recordsEnd(segment));
        }

        Spool reopened = new Spool(queue());
        try {
            assertThat(reopened.envelopeFile(kept)).exists();
            assertThat(Spool.corruptSegments(queue())).isEmpty();
            assertThat(segment).doesNotExist();
        } finally {
            reopened.close();
        }
        assertThat(queueList()).doesNotContain("set aside");
    }
}
