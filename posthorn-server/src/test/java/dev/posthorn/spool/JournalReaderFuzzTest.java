package dev.posthorn.spool;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The journal decoder fed any bytes at all, as a segment: it answers with records, the end, a torn tail or
 * "corrupt", and nothing else (no exception escapes), it never allocates more than a bounded amount whatever a
 * length field claims, and the replay of such a segment keeps it (moved aside, unchanged) whenever the decoder
 * called it corrupt, never deletes it. The stored inputs ({@code JournalReaderFuzzTestInputs/}) run under
 * {@code ./mvnw verify}; {@code JAZZER_FUZZ=1} fuzzes for new ones.
 */
class JournalReaderFuzzTest {

    /** Per decode, besides a small multiple of the input: the reader's scan buffers and slack for the JVM's own. */
    private static final long ALLOCATION_BOUND = 4L * 1024 * 1024;

    static {
        // Load and link what decoding uses once, so that class loading is not counted as the decoder's allocation.
        try {
            decode(new byte[] {0x50, 0x48, 0x4A, 0x31, 0, 0, 0, 9, 2, 0, 1, 'A', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, false);
            decode(new byte[0], false);
        } catch (IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @FuzzTest(maxDuration = "60s")
    void anySegmentDecodesToDocumentedOutcomesInBoundedMemoryAndIsKeptWhenCorrupt(FuzzedDataProvider data)
            throws IOException {
        byte[] bytes = data.consumeRemainingAsBytes();
        JournalReader.Step last = decode(bytes, true);
        Path dir = Files.createTempDirectory("journal-fuzz");
        try {
            Path journal = Files.createDirectories(dir.resolve("journal"));
            Path segment = journal.resolve("0000000000000001.jnl");
            Files.write(segment, bytes);
            new JournalReplay(dir, journal).run();
            Path aside = journal.resolve("corrupt").resolve(segment.getFileName());
            if (last instanceof JournalReader.Corrupt) {
                assertThat(aside).exists();
                assertThat(Files.readAllBytes(aside)).isEqualTo(bytes);
            } else {
                assertThat(aside).doesNotExist();
            }
            assertThat(segment).doesNotExist();
            try (Stream<Path> written = Files.list(dir)) {
                // Whatever was replayed became queue files named by valid ids, inside the queue directory.
                assertThat(written.map(p -> p.getFileName().toString()))
                        .allMatch(n -> n.equals("journal") || n.matches("[A-Za-z0-9_-]+\\.(msg|env|state)"));
            }
        } finally {
            try (Stream<Path> all = Files.walk(dir)) {
                all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Decodes to the end; returns the last step (the first damage, when it is one). */
    private static JournalReader.Step decode(byte[] bytes, boolean measure) throws IOException {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        SeekableByteChannel channel = new BytesChannel(bytes);
        JournalReader reader = new JournalReader(channel);
        JournalReader.Step step;
        JournalReader.Step damage = null;
        int steps = 0;
        while (true) {
            step = reader.next();
            if (++steps > bytes.length + 1) {
                throw new AssertionError("no progress through the input after " + steps + " steps");
            }
            if (step instanceof JournalReader.Corrupt c) {
                damage = damage == null ? c : damage;
                if (c.resumeAt() < 0) {
                    break;
                }
                if (c.resumeAt() <= c.offset() || c.resumeAt() > bytes.length) {
                    throw new AssertionError("resumes at " + c.resumeAt() + " after damage at " + c.offset());
                }
                channel.position(c.resumeAt());
            } else if (!(step instanceof JournalReader.Record)) {
                break;
            }
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(measure ? allocated : 0).as("bytes allocated decoding %d input bytes", bytes.length)
                .isLessThan(ALLOCATION_BOUND + 8L * bytes.length);
        return damage != null ? damage : step;
    }

    /** A segment in memory. */
    private static final class BytesChannel implements SeekableByteChannel {
        private final byte[] bytes;
        private long position;

        BytesChannel(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        public int read(ByteBuffer dst) {
            if (position >= bytes.length) {
                return -1;
            }
            int n = (int) Math.min(dst.remaining(), bytes.length - position);
            dst.put(bytes, (int) position, n);
            position += n;
            return n;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            throw new IOException("read only");
        }

        @Override
        public long position() {
            return position;
        }

        @Override
        public SeekableByteChannel position(long newPosition) {
            position = newPosition;
            return this;
        }

        @Override
        public long size() {
            return bytes.length;
        }

        @Override
        public SeekableByteChannel truncate(long size) throws IOException {
            throw new IOException("read only");
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }
}
