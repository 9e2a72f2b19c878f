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
 *
 * <p>After a damaged record the reader looks for the next intact one. In a segment with a header (see
 * {@link Journal}) a record starts with the segment's random salt, which message content cannot contain but by
 * a 2^-64 chance, so whatever the search finds is a record the writer wrote. A segment written before the
 * salt has only a constant marker, which content can carry: there a record found by searching is never
 * replayed (only the one at the damaged record's declared end is), the segment is set aside instead. The
 * search checksums at most {@code 2 × size + MAX_RECORD} octets per segment, so a segment full of
 * plausible-looking headers costs linear time, not quadratic: past that it gives up and calls the segment
 * corrupt (kept, for a person to look at). Once per read, at the damage that ends it, telling a torn write from
 * a damaged length field ({@code wholeRecordEnd}) reads the last record again up to four times more: still
 * linear, at most about {@code 5 × MAX_RECORD} on top.
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

    /**
     * A damaged record at {@code offset}; the next intact record starts at {@code resumeAt} (-1: none follows).
     * {@code restUnread}: intact records may follow that were not read (the search gave up, a header whose salt and
     * key could not be recovered, a match in a segment without a salt): they are not recovered, and the log must
     * not say they were.
     */
    record Corrupt(long offset, String reason, long resumeAt, boolean restUnread) implements Step {

        Corrupt(long offset, String reason, long resumeAt) {
            this(offset, reason, resumeAt, false);
        }
    }

    private final SeekableByteChannel channel;
    private final ByteBuffer header = ByteBuffer.allocate(Journal.RECORD_HEADER);
    private boolean started;
    /** Whether the segment has a header with a salt (else it is of the format before it: marker, plain CRC). */
    private boolean salted;
    private long salt;
    private int key;
    /** Octets the search for an intact record may still checksum; negative until the first search. */
    private long scanBudget = -1;
    private boolean scanGaveUp;
    // Scanning a damaged tail reuses these: memory stays bounded whatever the damage looks like.
    private ByteBuffer scanChunk;
    private ByteBuffer crcChunk;
    private final ByteBuffer probe = ByteBuffer.allocate(Journal.RECORD_HEADER);

    JournalReader(SeekableByteChannel channel) {
        this.channel = channel;
    }

    Step next() throws IOException {
        if (!started) {
            started = true;
            Step problem = readSegmentHeader();
            if (problem != null) {
                return problem;
            }
        }
        long offset = channel.position();
        long remaining = channel.size() - offset;
        int headerLength = headerLength();
        if (remaining <= 0) {
            return new End();
        }
        if (remaining < headerLength) {
            return zerosFrom(offset, offset + remaining) ? new End()
                    : classify(offset, "a record header cut short", true, -1);
        }
        header.clear().limit(headerLength);
        readFully(header);
        header.flip();
        if (allZeros(header) && zerosFrom(offset, offset + remaining)) {
            return new End(); // the zeros a segment is written with ahead of its records
        }
        if (!marker(header, 0)) {
            return classify(offset, "no record marker", false, -1);
        }
        int rest = header.getInt(headerLength - 4);
        if (rest < 3 || rest > MAX_RECORD) {
            return classify(offset, "impossible record length " + rest, false, -1);
        }
        long end = offset + headerLength + rest + 4;
        if ((long) rest + 4 > remaining - headerLength) {
            return classify(offset, "a record of " + rest + " octets runs past the end of the segment", true, end);
        }
        ByteBuffer body = ByteBuffer.allocate(rest + 4);
        readFully(body);
        body.flip();
        CRC32C crc = new CRC32C();
        crc.update(body.array(), 0, rest);
        if ((body.getInt(rest) ^ key) != (int) crc.getValue()) {
            return classify(offset, "checksum mismatch", false, end);
        }
        body.limit(rest);
        Step parsed = parse(offset, body);
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

    /**
     * Reads the segment header, if the segment has one, and places the channel after it. Returns what to answer
     * instead of a record when the header itself is damaged, else null.
     */
    private Step readSegmentHeader() throws IOException {
        long size = channel.size();
        if (size < 4) {
            return null; // empty, or too short for anything: the record reader says which
        }
        long position = channel.position();
        ByteBuffer head = ByteBuffer.allocate(Journal.SEGMENT_HEADER);
        channel.position(0);
        readSome(head);
        int magic = head.getInt(0);
        if (magic == Journal.MAGIC) {
            channel.position(position);
            return null; // a segment of the format before the salt: records start at once
        }
        if (magic == Journal.SEGMENT_MAGIC && head.position() < Journal.SEGMENT_HEADER) {
            // The header is written and synced before any record: a crash while it was written lost nothing.
            return new Torn(0, "a segment header cut short");
        }
        CRC32C crc = new CRC32C();
        crc.update(head.array(), 0, Journal.SEGMENT_HEADER - 4);
        if (magic == Journal.SEGMENT_MAGIC && head.getInt(Journal.SEGMENT_HEADER - 4) == (int) crc.getValue()) {
            salted = true;
            salt = head.getLong(4);
            key = head.getInt(12);
            channel.position(Math.max(position, Journal.SEGMENT_HEADER));
            return null;
        }
        if (magic != Journal.SEGMENT_MAGIC && size < Journal.SEGMENT_HEADER + Journal.RECORD_HEADER) {
            channel.position(position);
            return null; // too short to be either format's segment with a record: the record reader says what it is
        }
        // A damaged header (a bad sector, one flipped octet) must not cost every acknowledged record behind it.
        if (recoverKeyFromRecords(head)) {
            channel.position(Journal.SEGMENT_HEADER);
            return new Corrupt(0, "damaged segment header; its salt and key were recovered from its records",
                    Journal.SEGMENT_HEADER);
        }
        if (magic != Journal.SEGMENT_MAGIC) {
            channel.position(position);
            return null; // no record of ours at offset 20 either: read it as the format before the salt would be
        }
        if (size <= Journal.SEGMENT_HEADER) {
            return new Corrupt(0, "damaged segment header of a segment without records", -1);
        }
        return new Corrupt(0, "damaged segment header, and its records do not give its salt and key back: "
                + "no record of the segment was read", -1, true);
    }

    /**
     * The first record always starts right after the header ({@link Journal#SEGMENT_HEADER}); its first 8 octets
     * are the salt, and its stored check is the CRC32C of its body XOR the key. What the first record gives must be
     * confirmed, since the first record may be the damaged one: by the next record (same salt, its check right with
     * the same key), or, when there is no next record, by the damaged header itself still holding the same salt or
     * the same key (one damaged octet spoils one field, not both; a chance match is 2^-32 at best).
     */
    private boolean recoverKeyFromRecords(ByteBuffer damagedHeader) throws IOException {
        long size = channel.size();
        long first = Journal.SEGMENT_HEADER;
        salted = true;
        int[] derived = checkOf(first, size);
        if (derived == null) {
            salted = false;
            return false;
        }
        long candidateSalt = salt;
        int candidateKey = derived[1];
        long next = first + Journal.RECORD_HEADER + derived[0] + 4L;
        boolean confirmed;
        if (next + Journal.RECORD_HEADER + 4 <= size && !zerosFrom(next, size)) { // zeros: written ahead, no record
            int[] second = checkOf(next, size);
            confirmed = second != null && salt == candidateSalt && second[1] == candidateKey;
        } else {
            confirmed = damagedHeader.getLong(4) == candidateSalt || damagedHeader.getInt(12) == candidateKey;
        }
        salt = candidateSalt;
        key = candidateKey;
        salted = confirmed;
        return confirmed;
    }

    /**
     * Reads the record at {@code offset} as salted: sets {@link #salt} to its first 8 octets and returns its length
     * field and the key its stored check implies ({@code stored ^ CRC32C(body)}), or null when it cannot be a whole
     * record. Bounded like every read here: the length is checked against {@link #MAX_RECORD} and the file.
     */
    private int[] checkOf(long offset, long size) throws IOException {
        ByteBuffer head = probe.clear().limit(Journal.RECORD_HEADER);
        channel.position(offset);
        if (readSome(head) < Journal.RECORD_HEADER) {
            return null;
        }
        long recordSalt = head.getLong(0);
        int rest = head.getInt(8);
        if (rest < 3 || rest > MAX_RECORD || offset + Journal.RECORD_HEADER + (long) rest + 4 > size) {
            return null;
        }
        long crc = crcOfNext(rest);
        if (crc < 0) {
            return null;
        }
        ByteBuffer stored = probe.clear().limit(4);
        if (readSome(stored) < 4) {
            return null;
        }
        salt = recordSalt;
        return new int[] {rest, stored.getInt(0) ^ (int) crc};
    }

    /**
     * The CRC32C of the next {@code length} octets from the channel's position, read in chunks (a claimed length
     * is never allocated), or -1 when the file ends first.
     */
    private long crcOfNext(long length) throws IOException {
        CRC32C crc = new CRC32C();
        ByteBuffer chunk = crcChunk();
        long left = length;
        while (left > 0) {
            chunk.clear();
            chunk.limit((int) Math.min(chunk.capacity(), left));
            int n = readSome(chunk);
            if (n <= 0) {
                return -1;
            }
            chunk.flip();
            crc.update(chunk);
            left -= n;
        }
        return crc.getValue();
    }

    private ByteBuffer crcChunk() {
        if (crcChunk == null) {
            crcChunk = ByteBuffer.allocate(SCAN_CHUNK);
        }
        return crcChunk;
    }

    private int headerLength() {
        return salted ? Journal.RECORD_HEADER : 8;
    }

    /** Whether a record's start is at {@code index} of the buffer: the salt, or the old format's marker. */
    private boolean marker(ByteBuffer buffer, int index) {
        return salted ? buffer.getLong(index) == salt : buffer.getInt(index) == Journal.MAGIC;
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
     * ending in zeros (a segment is written with zeros ahead of its records, so a write cut off there leaves
     * zeros, not the file's end, after what it got written: from the record's stored check on when its header was
     * read, else from the end of its header). An acknowledged record damaged later (a flipped bit) still has its
     * check, so it is corruption; anything else is corruption too, and the segment is kept.
     */
    private Step classify(long offset, String reason, boolean cutShort, long declaredEnd) throws IOException {
        long size = channel.size();
        if (declaredEnd > offset && declaredEnd < size && intactAt(declaredEnd, size)) {
            // The header was intact, its content was not: the writer put the next record right after it.
            return new Corrupt(offset, reason + "; an intact record follows at offset " + declaredEnd, declaredEnd);
        }
        long valid = nextValidRecord(offset + 1, size);
        if (valid >= 0 && salted) {
            return new Corrupt(offset, reason + "; an intact record follows at offset " + valid, valid);
        }
        if (valid >= 0) {
            // Found inside what may be message content: in a segment without a salt that proves nothing.
            return new Corrupt(offset, reason + "; something that looks like a record follows at offset " + valid
                    + ", not replayed: a segment of the format before the salt cannot tell a record from content "
                    + "that imitates one", -1, true);
        }
        if (scanGaveUp) {
            return new Corrupt(offset, reason + "; the search for the next intact record gave up after "
                    + "checksumming twice the segment", -1, true);
        }
        long zeros = declaredEnd > offset ? declaredEnd - 4 : offset + headerLength();
        boolean torn = cutShort || zeros < size && zerosFrom(zeros, size);
        if (torn && declaredEnd > offset) {
            // A whole record is there, ending where its data does: its length was damaged after it was written.
            long whole = wholeRecordEnd(offset, Math.min(zeros, size));
            if (whole > 0) {
                return new Corrupt(offset, reason + "; a whole record ends at offset " + whole
                        + " (its length field is damaged)", -1);
            }
        }
        if (cutShort) {
            return new Torn(offset, reason);
        }
        if (torn) {
            return new Torn(offset, reason + ", then zeros to the end of the segment");
        }
        return new Corrupt(offset, reason, -1);
    }

    /**
     * Where a whole record starting at {@code offset} ends, if one does where the data before {@code limit} ends
     * (its check may end in up to 3 zero octets), else -1: told from a write torn by a crash by its check.
     */
    private long wholeRecordEnd(long offset, long limit) throws IOException {
        long dataEnd = limit;
        ByteBuffer chunk = scanChunk();
        long bodyStart = offset + headerLength();
        boolean found = false;
        while (dataEnd > bodyStart && !found) {
            long from = Math.max(bodyStart, dataEnd - chunk.capacity());
            chunk.clear().limit((int) (dataEnd - from));
            channel.position(from);
            int n = readSome(chunk);
            int i = n - 1;
            while (i >= 0 && chunk.get(i) == 0) {
                i--;
            }
            found = i >= 0;
            dataEnd = from + i + 1;
        }
        for (long end = dataEnd; end <= dataEnd + 3 && end <= channel.size(); end++) {
            long rest = end - 4 - bodyStart;
            if (rest < 3 || rest > MAX_RECORD) {
                continue;
            }
            channel.position(bodyStart);
            long crc = crcOfNext(rest);
            ByteBuffer stored = probe.clear().limit(4);
            if (crc >= 0 && readSome(stored) == 4 && (stored.getInt(0) ^ key) == (int) crc) {
                return end;
            }
        }
        return -1;
    }

    /** The offset of the first intact record at or after {@code from}, or -1. Reads in bounded chunks. */
    private long nextValidRecord(long from, long size) throws IOException {
        ByteBuffer chunk = scanChunk();
        int width = salted ? 8 : 4;
        long position = from;
        while (position + headerLength() + 4 <= size) {
            chunk.clear();
            channel.position(position);
            int n = readSome(chunk);
            if (n < width) {
                return -1;
            }
            for (int i = 0; i + width <= n; i++) {
                if (marker(chunk, i) && intactAt(position + i, size)) {
                    return position + i;
                }
                if (scanGaveUp) {
                    return -1;
                }
            }
            position += n - (width - 1);
        }
        return -1;
    }

    /** Whether a whole record with a matching checksum starts here; the checksum is computed in chunks. */
    private boolean intactAt(long offset, long size) throws IOException {
        int headerLength = headerLength();
        ByteBuffer head = probe.clear().limit(headerLength);
        channel.position(offset);
        if (readSome(head) < headerLength || !marker(head, 0)) {
            return false;
        }
        int rest = head.getInt(headerLength - 4);
        if (rest < 3 || rest > MAX_RECORD || offset + headerLength + (long) rest + 4 > size) {
            return false;
        }
        if (scanBudget < 0) {
            scanBudget = 2 * size + MAX_RECORD;
        }
        if (rest > scanBudget) {
            scanGaveUp = true; // linear, whatever the damage: a segment full of long claims is not searched to the end
            return false;
        }
        scanBudget -= rest;
        long crc = crcOfNext(rest);
        if (crc < 0) {
            return false;
        }
        ByteBuffer stored = probe.clear().limit(4);
        return readSome(stored) == 4 && (stored.getInt(0) ^ key) == (int) crc;
    }

    /** Whether the buffer's octets from its position to its limit are all zero. */
    static boolean allZeros(ByteBuffer buffer) {
        for (int i = buffer.position(); i < buffer.limit(); i++) {
            if (buffer.get(i) != 0) {
                return false;
            }
        }
        return true;
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
