package dev.posthorn.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal's record framing against content a sender chose. After a damaged record (a torn tail from a power
 * cut or a kill during a large write) replay looks for the next intact record, and reads through the damaged
 * record's payload, message content, on the way: a record carrying the segment's random salt is the only thing
 * it accepts, so content cannot pose as a record (a message to anyone, a tombstone for someone else's mail).
 * Segments written before the salt still replay. The search costs linear time whatever the damage looks like.
 */
class JournalFormatTest {

    @TempDir
    Path queue;
    @TempDir
    Path scratch;

    private static String commit(Spool spool, String sender, String rcpt, boolean local, byte[] bytes)
            throws IOException {
        SpoolWriter writer = spool.begin();
        try (OutputStream out = writer.content()) {
            out.write(bytes);
        }
        writer.commit(envelope(writer.id(), sender, rcpt, local, bytes.length));
        return writer.id();
    }

    private static Envelope envelope(String id, String sender, String rcpt, boolean local, long size) {
        return new Envelope(id, Instant.parse("2026-01-01T00:00:00Z"), sender,
                List.of(new EnvelopeRecipient(rcpt, Set.of(), null, local)), "7BIT", false, null, null, null,
                "127.0.0.1", "client.test", size);
    }

    private static Path onlySegment(Path queue) throws IOException {
        try (Stream<Path> files = Files.list(queue.resolve("journal"))) {
            return files.filter(p -> p.toString().endsWith(".jnl")).findFirst().orElseThrow();
        }
    }

    private static int indexOf(byte[] haystack, String needle) {
        byte[] n = needle.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i + n.length <= haystack.length; i++) {
            if (Arrays.equals(haystack, i, i + n.length, n, 0, n.length)) {
                return i;
            }
        }
        throw new AssertionError(needle + " not found");
    }

    /** A record as segments were written before the salt: marker, length, type..end, plain CRC32C. */
    private static byte[] oldFormatMessage(String id, byte[] envelope, byte[] content) {
        byte[] idBytes = id.getBytes(StandardCharsets.US_ASCII);
        int rest = 1 + 2 + idBytes.length + 4 + envelope.length + 8 + content.length;
        ByteBuffer b = ByteBuffer.allocate(8 + rest + 4);
        b.putInt(Journal.MAGIC).putInt(rest).put(Journal.MESSAGE).putShort((short) idBytes.length).put(idBytes)
                .putInt(envelope.length).put(envelope).putLong(content.length).put(content);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 8, rest);
        b.putInt((int) crc.getValue());
        return b.array();
    }

    private static byte[] oldFormatRemoved(String id) {
        byte[] idBytes = id.getBytes(StandardCharsets.US_ASCII);
        int rest = 1 + 2 + idBytes.length;
        ByteBuffer b = ByteBuffer.allocate(8 + rest + 4);
        b.putInt(Journal.MAGIC).putInt(rest).put(Journal.REMOVED).putShort((short) idBytes.length).put(idBytes);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 8, rest);
        b.putInt((int) crc.getValue());
        return b.array();
    }

    @Test
    void aRecordForgedInsideATornMessageIsNotReplayed() throws Exception {
        // What an attacker would put in a message body: the bytes of a whole journal segment of its own making
        // (any sender, any recipients), here written by a scratch spool.
        Spool forge = new Spool(scratch);
        String forgedId = commit(forge, "ceo@localhost", "victim@remote.example", false,
                "Subject: wire the money\r\n\r\nnow\r\n".getBytes(StandardCharsets.US_ASCII));
        forge.simulateCrash();
        byte[] forgedSegment = SpoolCrash.records(onlySegment(scratch));

        Spool spool = new Spool(queue);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write("Subject: hello\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        body.write(forgedSegment);
        body.write(new byte[64 * 1024]); // padding: the write is torn somewhere in here
        commit(spool, "attacker@example.org", "postmaster@localhost", true, body.toByteArray());
        spool.simulateCrash();
        Path segment = onlySegment(queue);
        try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
            ch.truncate(SpoolCrash.recordsEnd(segment) - 1000); // the attacker's record, torn by the crash
        }

        Spool reopened = new Spool(queue);
        try {
            assertThat(reopened.storedIds()).as("a record forged inside message content").doesNotContain(forgedId);
            assertThat(Spool.corruptSegments(queue)).as("a torn tail, not damage").isEmpty();
        } finally {
            reopened.close();
        }
    }

    @Test
    void aSegmentWrittenBeforeTheSaltStillReplays() throws Exception {
        String kept = QueueIds.next();
        String gone = QueueIds.next();
        byte[] content = "Subject: old\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream segment = new ByteArrayOutputStream();
        segment.write(oldFormatMessage(kept, EnvelopeCodec.encode(
                envelope(kept, "a@example.org", "postmaster@localhost", true, content.length)), content));
        segment.write(oldFormatMessage(gone, EnvelopeCodec.encode(
                envelope(gone, "a@example.org", "postmaster@localhost", true, content.length)), content));
        segment.write(oldFormatRemoved(gone));
        Path journal = Files.createDirectories(queue.resolve("journal"));
        Files.write(journal.resolve("0000000000000007.jnl"), segment.toByteArray());

        Spool spool = new Spool(queue);
        try {
            assertThat(spool.storedIds()).containsExactly(kept);
            assertThat(Files.readAllBytes(spool.messageFile(kept))).isEqualTo(content);
            assertThat(Spool.corruptSegments(queue)).isEmpty();
            // New segments continue the numbering after the old one, and carry the salt.
            String next = commit(spool, "a@example.org", "postmaster@localhost", true, content);
            assertThat(onlySegment(queue).getFileName().toString()).isEqualTo("0000000000000008.jnl");
            byte[] written = Files.readAllBytes(onlySegment(queue));
            assertThat(ByteBuffer.wrap(written).getInt(0)).isEqualTo(Journal.SEGMENT_MAGIC);
            assertThat(next).isNotNull();
        } finally {
            spool.close();
        }
    }

    @Test
    void aRecordImitatedInsideATornOldFormatMessageIsNotReplayedAndTheSegmentIsKept() throws Exception {
        String victim = QueueIds.next();
        String carrier = QueueIds.next();
        byte[] forged = oldFormatRemoved(victim); // a tombstone for someone else's mail, inside content
        byte[] content = new byte[4096 + forged.length];
        System.arraycopy(forged, 0, content, 100, forged.length);
        byte[] victimContent = "Subject: mine\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream segment = new ByteArrayOutputStream();
        segment.write(oldFormatMessage(victim, EnvelopeCodec.encode(
                envelope(victim, "a@example.org", "postmaster@localhost", true, victimContent.length)), victimContent));
        byte[] carrierRecord = oldFormatMessage(carrier, EnvelopeCodec.encode(
                envelope(carrier, "attacker@example.org", "postmaster@localhost", true, content.length)), content);
        segment.write(carrierRecord, 0, carrierRecord.length - 1000); // torn by a crash
        Path journal = Files.createDirectories(queue.resolve("journal"));
        Files.write(journal.resolve("0000000000000001.jnl"), segment.toByteArray());

        Spool spool = new Spool(queue);
        try {
            assertThat(spool.storedIds()).as("the victim's message is not removed by content").containsExactly(victim);
            assertThat(Spool.corruptSegments(queue)).singleElement()
                    .satisfies(c -> assertThat(c.reason()).contains("not replayed"));
        } finally {
            spool.close();
        }
    }

    @Test
    void aTornRecordFollowedByAnIntactOneKeepsTheIntactOne() throws Exception {
        Spool spool = new Spool(queue);
        String first = commit(spool, "a@example.org", "postmaster@localhost", true,
                "Subject: first\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII));
        String second = commit(spool, "a@example.org", "postmaster@localhost", true,
                ("Subject: second\r\n\r\n" + "x".repeat(2000) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        String third = commit(spool, "a@example.org", "postmaster@localhost", true,
                "Subject: third\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII));
        spool.simulateCrash();
        Path segment = onlySegment(queue);
        byte[] bytes = Files.readAllBytes(segment);
        // The second record cut short in its content (a write the writer could not cut back), the third after it.
        int cut = indexOf(bytes, "Subject: second") + 500;
        int thirdStart = indexOf(bytes, "Subject: third");
        while (ByteBuffer.wrap(bytes).getLong(thirdStart) != ByteBuffer.wrap(bytes).getLong(4)) {
            thirdStart--; // back to the third record's salt
        }
        ByteArrayOutputStream damaged = new ByteArrayOutputStream();
        damaged.write(bytes, 0, cut);
        damaged.write(bytes, thirdStart, bytes.length - thirdStart);
        Files.write(segment, damaged.toByteArray());

        Spool reopened = new Spool(queue);
        try {
            assertThat(reopened.storedIds()).containsExactly(first, third);
            assertThat(Files.readString(reopened.messageFile(third))).isEqualTo("Subject: third\r\n\r\nbody\r\n");
            assertThat(reopened.envelopeFile(second)).doesNotExist();
            assertThat(Spool.corruptSegments(queue)).singleElement()
                    .satisfies(c -> assertThat(c.reason()).contains("an intact record follows"));
        } finally {
            reopened.close();
        }
    }

    @Test
    void searchingADamagedSegmentFullOfLongClaimsReadsLinearlyMuch() throws Exception {
        // Every 8 octets a marker and a length reaching exactly the end: each is a candidate whose checksum
        // covers the rest of the segment. Checking them all reads size^2/16 octets (16 GiB here).
        int size = 512 * 1024;
        ByteBuffer b = ByteBuffer.allocate(size);
        for (int pos = 0; pos + 8 <= size; pos += 8) {
            b.putInt(pos, Journal.MAGIC).putInt(pos + 4, size - pos - 12);
        }
        Path file = Files.write(Files.createDirectories(queue.resolve("journal")).resolve("0000000000000001.jnl"),
                b.array());
        long read;
        long t = System.nanoTime();
        try (CountingChannel channel = new CountingChannel(FileChannel.open(file, StandardOpenOption.READ))) {
            JournalReader reader = new JournalReader(channel);
            JournalReader.Step step = reader.next();
            assertThat(step).isInstanceOf(JournalReader.Corrupt.class);
            assertThat(((JournalReader.Corrupt) step).resumeAt()).isEqualTo(-1);
            read = channel.read;
        }
        System.out.printf("a damaged segment of %d KiB: %d octets read, %d ms%n", size / 1024, read,
                (System.nanoTime() - t) / 1_000_000);
        assertThat(read).as("octets read to decide about a %d-octet segment", size)
                .isLessThanOrEqualTo(3L * size + JournalReader.MAX_RECORD + 2L * 64 * 1024);
        // And the replay of it: set aside, kept.
        new Spool(queue).close();
        assertThat(Spool.corruptSegments(queue)).hasSize(1);
    }

    /** Counts the octets read through it. */
    private static final class CountingChannel implements SeekableByteChannel {
        private final SeekableByteChannel inner;
        long read;

        CountingChannel(SeekableByteChannel inner) {
            this.inner = inner;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            int n = inner.read(dst);
            read += Math.max(0, n);
            return n;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            throw new IOException("read only");
        }

        @Override
        public long position() throws IOException {
            return inner.position();
        }

        @Override
        public SeekableByteChannel position(long newPosition) throws IOException {
            inner.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return inner.size();
        }

        @Override
        public SeekableByteChannel truncate(long size) throws IOException {
            throw new IOException("read only");
        }

        @Override
        public boolean isOpen() {
            return inner.isOpen();
        }

        @Override
        public void close() throws IOException {
            inner.close();
        }
    }
}
