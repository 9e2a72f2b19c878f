package dev.posthorn.spool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * Reads a journal segment one record at a time, so that replay needs memory for one record, not for the
 * segment. Every read is checked before anything is allocated: a length field larger than {@link #MAX_RECORD}
 * or than what is left of the file is never believed.
 *
 * <p>{@link #next()} returns a {@link Step}: a {@link Record}, the clean {@link End} of the segment, a
 * {@link Torn} tail (a record cut short by a crash while it was written: never acknowledged, nothing valid
 * after it), or {@link Corrupt} (a damaged record inside the segment, or followed by valid ones: the segment
 * must be kept for a person to look at). It throws nothing but the channel's own {@link IOException}.
 */
final class JournalReader {

    /** No record is larger: 1 MiB of inline content by default, the envelope and a recipient state are small. */
    static final int MAX_RECORD = 64 * 1024 * 1024;
    /** Message ids are queue ids: they become file names, so nothing else is accepted. */
    private static final int MAX_ID = 64;
    private static final int SCAN_CHUNK = 64 * 1024;

    /** What the next read found. */
    sealed interface Step permits Record, End, Torn, Corrupt {
    }

    /**
     * One intact record at {@code offset}. For {@link Journal#MESSAGE}: {@code envelope} and {@code payload}
     * (the content); for {@link Journal#STATE}: {@code payload} (the state); for {@link Journal#REMOVED}: neither.
     */
    record Record(long offset, byte type, String id, byte[] envelope, byte[] payload) implements Step {
    }

    record End() implements Step {
    }

    record Torn(long offset, String reason) implements Step {
    }

    /** A damaged record at {@code offset}; the next intact record starts at {@code resumeAt} (-1: none follows). */
    record Corrupt(long offset, String reason, long resumeAt) implements Step {
    }

    private final SeekableByteChannel channel;
    private final ByteBuffer header = ByteBuffer.allocate(8);
    // Scanning a damaged tail reuses these: memory stays bounded whatever the damage looks like.
    private ByteBuffer scanChunk;
    private ByteBuffer crcChunk;
    private final ByteBuffer probe = ByteBuffer.allocate(8);

    JournalReader(SeekableByteChannel channel) {
        this.channel = channel;
    }

    Step next() throws IOException {
        long offset = channel.position();
        long remaining = channel.size() - offset;
        if (remaining <= 0) {
            return new End();
        }
        if (remaining < 8) {
            return classify(offset, "a record header cut short", true);
        }
        header.clear();
        readFully(header);
        header.flip();
        if (header.getInt() != Journal.MAGIC) {
            return classify(offset, "no record marker", false);
        }
        int rest = header.getInt();
        if (rest < 3 || rest > MAX_RECORD) {
            return classify(offset, "impossible record length " + rest, false);
        }
        if ((long) rest + 4 > remaining - 8) {
            return classify(offset, "a record of " + rest + " octets runs past the end of the segment", true);
        }
        ByteBuffer body = ByteBuffer.allocate(rest + 4);
        readFully(body);
        body.flip();
        CRC32C crc = new CRC32C();
        crc.update(body.array(), 0, rest);
        if (body.getInt(rest) != (int) crc.getValue()) {
            return classify(offset, "checksum mismatch", false);
        }
        body.limit(rest);
        Step parsed = parse(offset, body);
        long end = offset + 8 + rest + 4;
        channel.position(end);
        if (parsed instanceof Corrupt c) {
            // The checksum held, so this is not a torn write: a writer bug or deliberate damage. Keep it.
            return new Corrupt(c.offset(), c.reason(), end < channel.size() ? end : -1);
        }
        return parsed;
    }

    /** The fields of a record whose checksum is right; every inner length must fit exactly. */
    private static Step parse(long offset, ByteBuffer body) {
        byte type = body.get();
        int idLength = Short.toUnsignedInt(body.getShort());
        if (idLength == 0 || idLength > MAX_ID || idLength > body.remaining()) {
            return new Corrupt(offset, "bad message id length " + idLength, -1);
        }
        byte[] idBytes = new byte[idLength];
        body.get(idBytes);
        String id = new String(idBytes, StandardCharsets.US_ASCII);
        if (!QueueIds.valid(id)) {
            return new Corrupt(offset, "a message id that is not a queue id", -1);
        }
        switch (type) {
            case Journal.REMOVED -> {
                return body.hasRemaining() ? new Corrupt(offset, "trailing octets in a removal record", -1)
                        : new Record(offset, type, id, null, null);
            }
            case Journal.STATE -> {
                byte[] state = lengthPrefixed(body);
                return state == null || body.hasRemaining() ? new Corrupt(offset, "bad state length", -1)
                        : new Record(offset, type, id, null, state);
            }
            case Journal.MESSAGE -> {
                byte[] envelope = lengthPrefixed(body);
                if (envelope == null || body.remaining() < 8) {
                    return new Corrupt(offset, "bad envelope length", -1);
                }
                long contentLength = body.getLong();
                if (contentLength != body.remaining()) {
                    return new Corrupt(offset, "content length " + contentLength + " does not match the record",
                            -1);
                }
                byte[] content = new byte[body.remaining()];
                body.get(content);
                return new Record(offset, type, id, envelope, content);
            }
            default -> {
                return new Corrupt(offset, "unknown record type " + type, -1);
            }
        }
    }

    private static byte[] lengthPrefixed(ByteBuffer body) {
        if (body.remaining() < 4) {
            return null;
        }
        int length = body.getInt();
        if (length < 0 || length > body.remaining()) {
            return null;
        }
        byte[] bytes = new byte[length];
        body.get(bytes);
        return bytes;
    }

    /**
     * A record at {@code offset} is unreadable. It is a torn tail (a crash in the middle of a write, never
     * acknowledged) only when nothing valid follows it and it is what a torn write looks like: cut short, or
     * zeros; anything else is corruption, and the segment is kept.
     */
    private Step classify(long offset, String reason, boolean cutShort) throws IOException {
        long size = channel.size();
        long valid = nextValidRecord(offset + 1, size);
        if (valid >= 0) {
            return new Corrupt(offset, reason + "; an intact record follows at offset " + valid, valid);
        }
        if (cutShort) {
            return new Torn(offset, reason);
        }
        if (zerosFrom(offset, size)) {
            return new Torn(offset, "zeros to the end of the segment");
        }
        return new Corrupt(offset, reason, -1);
    }

    /** The offset of the first intact record at or after {@code from}, or -1. Reads in bounded chunks. */
    private long nextValidRecord(long from, long size) throws IOException {
        ByteBuffer chunk = scanChunk();
        long position = from;
        while (position + 12 <= size) {
            chunk.clear();
            channel.position(position);
            int n = readSome(chunk);
            if (n < 4) {
                return -1;
            }
            for (int i = 0; i + 4 <= n; i++) {
                if (chunk.getInt(i) == Journal.MAGIC && intactAt(position + i, size)) {
                    return position + i;
                }
            }
            position += n - 3;
        }
        return -1;
    }

    /** Whether a whole record with a matching checksum starts here; the checksum is computed in chunks. */
    private boolean intactAt(long offset, long size) throws IOException {
        ByteBuffer head = probe.clear();
        channel.position(offset);
        if (readSome(head) < 8) {
            return false;
        }
        int rest = head.getInt(4);
        if (rest < 3 || rest > MAX_RECORD || offset + 8 + (long) rest + 4 > size) {
            return false;
        }
        CRC32C crc = new CRC32C();
        if (crcChunk == null) {
            crcChunk = ByteBuffer.allocate(SCAN_CHUNK);
        }
        ByteBuffer chunk = crcChunk;
        long left = rest;
        while (left > 0) {
            chunk.clear();
            chunk.limit((int) Math.min(chunk.capacity(), left));
            int n = readSome(chunk);
            if (n <= 0) {
                return false;
            }
            chunk.flip();
            crc.update(chunk);
            left -= n;
        }
        ByteBuffer stored = probe.clear().limit(4);
        return readSome(stored) == 4 && stored.getInt(0) == (int) crc.getValue();
    }

    private boolean zerosFrom(long offset, long size) throws IOException {
        ByteBuffer chunk = scanChunk();
        channel.position(offset);
        long left = size - offset;
        while (left > 0) {
            chunk.clear();
            int n = readSome(chunk);
            if (n <= 0) {
                return true;
            }
            for (int i = 0; i < n; i++) {
                if (chunk.get(i) != 0) {
                    return false;
                }
            }
            left -= n;
        }
        return true;
    }

    private ByteBuffer scanChunk() {
        if (scanChunk == null) {
            scanChunk = ByteBuffer.allocate(SCAN_CHUNK);
        }
        return scanChunk;
    }

    private int readSome(ByteBuffer buffer) throws IOException {
        int total = 0;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer);
            if (n < 0) {
                break;
            }
            total += n;
        }
        return total;
    }

    private void readFully(ByteBuffer buffer) throws IOException {
        int wanted = buffer.remaining();
        if (readSome(buffer) < wanted) {
            throw new IOException("segment shrank while it was read");
        }
    }
}
