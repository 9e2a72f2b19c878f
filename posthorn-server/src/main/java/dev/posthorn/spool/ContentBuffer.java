package dev.posthorn.spool;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Message content on its way into the spool. Small messages stay in memory, in chunks that are never copied
 * (4 KiB first, doubling up to 64 KiB), so that the commit can put them into the journal with one gathering
 * write. Past {@code inlineLimit} octets the content spills into the message file and streams there.
 */
final class ContentBuffer extends OutputStream {

    private static final int FIRST_CHUNK = 4 * 1024;
    private static final int MAX_CHUNK = 64 * 1024;

    private final Path spillFile;
    private final long inlineLimit;
    private final List<byte[]> chunks = new ArrayList<>(4);
    private byte[] current;
    private int currentLength;
    private long size;
    private FileChannel spill;
    private ByteBuffer spillBuffer;
    /** Header fields put in front of the content once it has ended (signatures, Authentication-Results). */
    private byte[] prefix;

    ContentBuffer(Path spillFile, long inlineLimit) {
        this.spillFile = spillFile;
        this.inlineLimit = inlineLimit;
    }

    @Override
    public void write(int b) throws IOException {
        if (spill != null) {
            if (!spillBuffer.hasRemaining()) {
                drainSpillBuffer();
            }
            spillBuffer.put((byte) b);
            size++;
            return;
        }
        if (size + 1 > inlineLimit) {
            startSpill();
            write(b);
            return;
        }
        if (current == null || currentLength == current.length) {
            nextChunk();
        }
        current[currentLength++] = (byte) b;
        size++;
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        if (spill == null && size + length > inlineLimit) {
            startSpill();
        }
        if (spill != null) {
            while (length > 0) {
                if (!spillBuffer.hasRemaining()) {
                    drainSpillBuffer();
                }
                int n = Math.min(length, spillBuffer.remaining());
                spillBuffer.put(bytes, offset, n);
                offset += n;
                length -= n;
                size += n;
            }
            return;
        }
        while (length > 0) {
            if (current == null || currentLength == current.length) {
                nextChunk();
            }
            int n = Math.min(length, current.length - currentLength);
            System.arraycopy(bytes, offset, current, currentLength, n);
            currentLength += n;
            offset += n;
            length -= n;
            size += n;
        }
    }

    private void nextChunk() {
        int next = current == null ? FIRST_CHUNK : Math.min(MAX_CHUNK, current.length * 2);
        if (current != null) {
            chunks.add(current);
        }
        current = new byte[next];
        currentLength = 0;
    }

    /** Streams to the message file from the first octet (the journal is off). */
    void spillNow() throws IOException {
        if (spill == null) {
            startSpill();
        }
    }

    private void startSpill() throws IOException {
        spill = FileChannel.open(spillFile, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        spillBuffer = ByteBuffer.allocate(MAX_CHUNK);
        for (ByteBuffer b : inlineBuffers()) {
            while (b.hasRemaining()) {
                spill.write(b);
            }
        }
        chunks.clear();
        current = null;
        currentLength = 0;
        prefix = null; // written to the file with the rest
    }

    private void drainSpillBuffer() throws IOException {
        spillBuffer.flip();
        while (spillBuffer.hasRemaining()) {
            spill.write(spillBuffer);
        }
        spillBuffer.clear();
    }

    /** Before the content is held in memory for a while: gives back the unused end of the last chunk. */
    void trim() {
        if (current != null && current.length - currentLength >= 1024) {
            current = java.util.Arrays.copyOf(current, currentLength);
        }
    }

    /** True once the content went to the message file. */
    boolean spilled() {
        return spill != null;
    }

    long size() {
        return size;
    }

    /** The content kept in memory, as buffers ready for a gathering write (the prefix first, if any). */
    ByteBuffer[] inlineBuffers() {
        int first = prefix == null ? 0 : 1;
        int n = first + chunks.size() + (current == null ? 0 : 1);
        ByteBuffer[] out = new ByteBuffer[n];
        if (prefix != null) {
            out[0] = ByteBuffer.wrap(prefix);
        }
        for (int i = 0; i < chunks.size(); i++) {
            out[first + i] = ByteBuffer.wrap(chunks.get(i));
        }
        if (current != null) {
            out[n - 1] = ByteBuffer.wrap(current, 0, currentLength);
        }
        return out;
    }

    /**
     * Puts octets in front of everything written so far, once the content has ended. In memory this costs
     * nothing; a spilled message file is rewritten with the prefix (a kernel copy), before it is synced.
     */
    void prepend(byte[] bytes) throws IOException {
        if (bytes.length == 0) {
            return;
        }
        if (spill == null) {
            if (prefix == null) {
                prefix = bytes;
            } else {
                byte[] joined = java.util.Arrays.copyOf(bytes, bytes.length + prefix.length);
                System.arraycopy(prefix, 0, joined, bytes.length, prefix.length);
                prefix = joined;
            }
            size += bytes.length;
            return;
        }
        drainSpillBuffer();
        String name = spillFile.getFileName().toString();
        // Named *.tmp so that recovery removes it if the process dies here (nothing was acknowledged yet).
        Path rewritten = spillFile.resolveSibling(name.substring(0, name.indexOf('.')) + ".prefix.tmp");
        FileChannel out = FileChannel.open(rewritten, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE);
        try (FileChannel in = FileChannel.open(spillFile, StandardOpenOption.READ)) {
            ByteBuffer head = ByteBuffer.wrap(bytes);
            while (head.hasRemaining()) {
                out.write(head);
            }
            long length = in.size();
            for (long done = 0; done < length; ) {
                done += in.transferTo(done, length - done, out);
            }
            java.nio.file.Files.move(rewritten, spillFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            out.close();
            java.nio.file.Files.deleteIfExists(rewritten);
            throw e;
        }
        spill.close();
        spill = out;
        size += bytes.length;
    }

    /** Reads the content kept in memory (any number of times, from any thread, once writing is over). */
    InputStream openStream() {
        ByteBuffer[] buffers = inlineBuffers();
        return new InputStream() {
            private int index;

            @Override
            public int read() {
                while (index < buffers.length) {
                    if (buffers[index].hasRemaining()) {
                        return buffers[index].get() & 0xFF;
                    }
                    index++;
                }
                return -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (len == 0) {
                    return 0;
                }
                while (index < buffers.length && !buffers[index].hasRemaining()) {
                    index++;
                }
                if (index == buffers.length) {
                    return -1;
                }
                int n = Math.min(len, buffers[index].remaining());
                buffers[index].get(b, off, n);
                return n;
            }
        };
    }

    /** For a spilled message: writes what is buffered and fdatasyncs the message file, then closes it. */
    void syncSpill() throws IOException {
        drainSpillBuffer();
        spill.force(false);
        spill.close();
    }

    /** For a spilled message: writes what is buffered and closes the file, without a sync (a shared store keeps it). */
    void closeSpill() throws IOException {
        drainSpillBuffer();
        spill.close();
    }

    /** Closes the spill file, if any, without syncing (abort). */
    void closeQuietly() {
        if (spill != null) {
            try {
                spill.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
