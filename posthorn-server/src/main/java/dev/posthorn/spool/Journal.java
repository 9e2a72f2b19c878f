package dev.posthorn.spool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;

/**
 * The spool's write-ahead journal: group commit for small messages. Each session appends one record (envelope
 * and content) and waits. A single writer thread takes every record queued so far, writes them with one
 * gathering write and makes them durable with one {@code fdatasync}; while it syncs, the next group queues up.
 * A session returns only when the sync that covers its own record has completed, so its {@code 250} never
 * precedes the durability of its message, exactly as with a file and directory fsync per message, at a
 * fraction of the cost.
 *
 * <p>The journal lives in segments {@code journal/<n>.jnl}. After a record is durable the session writes the
 * ordinary {@code <id>.msg} and {@code <id>.env} files (without fsync) for every reader of the queue. A
 * checkpoint later fsyncs the files of a sealed segment's messages that are still queued and deletes the
 * segment. On start-up, {@link Spool} replays the segments that are left: every message recorded there that was
 * not removed since is written out again and synced, so a crash of the machine (not only of the process) loses
 * nothing that was acknowledged.
 *
 * <p>Record: magic (4), length of the rest before the CRC (4), type (1), id length (2), id, envelope length
 * (4), envelope JSON, content length (8), content, CRC32C of type..content (4). A torn or corrupt record ends
 * the segment: nothing after it was ever acknowledged.
 */
final class Journal {

    static final int MAGIC = 0x50484A31; // "PHJ1"
    static final byte MESSAGE = 1;
    static final byte REMOVED = 2;

    /** One segment file and the messages recorded in it that still need a checkpoint. */
    static final class Segment {
        final long number;
        final Path file;
        final FileChannel channel;
        final List<String> messageIds = new ArrayList<>();
        /** Records whose .msg/.env files are not written yet: the segment cannot be retired before. */
        final AtomicInteger unmaterialized = new AtomicInteger();
        /** Messages of this segment held in memory, not yet delivered: retiring waits a while for them. */
        final AtomicInteger held = new AtomicInteger();
        long bytes;
        final long createdNanos = System.nanoTime();
        /**
         * A write or sync to it failed, so it may end in a torn record: nothing is written to it again (a record
         * after a tear would be unreadable at replay). Its records before the tear were acknowledged and are kept.
         */
        boolean torn;

        Segment(long number, Path file, FileChannel channel) {
            this.number = number;
            this.file = file;
            this.channel = channel;
        }
    }

    /** A record waiting for the leader; a message record learns the segment it was written to. */
    private static final class Pending {
        final ByteBuffer[] buffers;
        final long ticket;
        final String messageId;
        /** Someone waits for this record to be durable (a message, a barrier); a tombstone needs no sync. */
        final boolean sync;
        Segment segment;
        boolean done;
        IOException error;

        Pending(ByteBuffer[] buffers, long ticket, String messageId, boolean sync) {
            this.buffers = buffers;
            this.ticket = ticket;
            this.messageId = messageId;
            this.sync = sync;
        }
    }

    private final Path directory;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition synced = lock.newCondition();
    private final Condition work = lock.newCondition();
    private Thread writer;
    private boolean closing;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private long enqueued;
    /** Torn segments (see {@link Segment#torn}) replaced by the writer, waiting for a sync that works again. */
    private final List<Segment> torn = new ArrayList<>();
    /** Torn segments after a later sync succeeded: the disk works again, the checkpoint may retire them. */
    private final List<Segment> tornRetirable = new ArrayList<>();
    private Segment current;
    private final AtomicLong nextNumber;
    private final long segmentLimit;
    // statistics, for the benchmark notes: how many records each sync covered
    private long syncs;
    private long recordsSynced;

    Journal(Path directory, long firstNumber, long segmentLimit) throws IOException {
        this.directory = Files.createDirectories(directory);
        this.nextNumber = new AtomicLong(firstNumber);
        this.segmentLimit = segmentLimit;
        this.current = openSegment();
        this.writer = Thread.ofPlatform().daemon().name("spool-journal").start(this::writeLoop);
    }

    static Path segmentFile(Path directory, long number) {
        return directory.resolve(String.format("%016d.jnl", number));
    }

    private Segment openSegment() throws IOException {
        long number = nextNumber.getAndIncrement();
        Path file = segmentFile(directory, number);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        // The segment's name must be durable before any record in it is acknowledged.
        GroupSync.fsyncDirectory(directory);
        return new Segment(number, file, channel);
    }

    /**
     * Appends a message record and returns when it is durable. The returned segment must be told (via
     * {@link #materialized}) once the message's files are written.
     */
    Segment appendMessage(String id, byte[] envelope, ByteBuffer[] content, long contentLength) throws IOException {
        byte[] idBytes = id.getBytes(StandardCharsets.US_ASCII);
        int headerLength = 4 + 4 + 1 + 2 + idBytes.length + 4;
        ByteBuffer header = ByteBuffer.allocate(headerLength + envelope.length + 8);
        int rest = 1 + 2 + idBytes.length + 4 + envelope.length + 8;
        CRC32C crc = new CRC32C();
        header.putInt(MAGIC).putInt((int) Math.min(Integer.MAX_VALUE, rest + contentLength));
        header.put(MESSAGE).putShort((short) idBytes.length).put(idBytes).putInt(envelope.length).put(envelope)
                .putLong(contentLength);
        header.flip();
        crc.update(header.array(), 8, header.limit() - 8);
        for (ByteBuffer b : content) {
            crc.update(b.duplicate());
        }
        ByteBuffer trailer = ByteBuffer.allocate(4).putInt((int) crc.getValue()).flip();
        ByteBuffer[] buffers = new ByteBuffer[content.length + 2];
        buffers[0] = header;
        System.arraycopy(content, 0, buffers, 1, content.length);
        buffers[buffers.length - 1] = trailer;
        Pending pending = enqueue(buffers, id, true);
        awaitDurable(pending);
        lock.lock();
        try {
            // Set by the writer, under this lock, before the record was declared durable.
            return pending.segment;
        } finally {
            lock.unlock();
        }
    }

    void materialized(Segment segment) {
        segment.unmaterialized.decrementAndGet();
    }

    /** Records that a message left the queue; made durable by the next sync, not waited for. */
    void appendRemoved(String id) {
        byte[] idBytes = id.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer record = ByteBuffer.allocate(4 + 4 + 1 + 2 + idBytes.length + 4);
        record.putInt(MAGIC).putInt(1 + 2 + idBytes.length).put(REMOVED).putShort((short) idBytes.length)
                .put(idBytes);
        CRC32C crc = new CRC32C();
        crc.update(record.array(), 8, record.position() - 8);
        record.putInt((int) crc.getValue()).flip();
        try {
            enqueue(new ByteBuffer[] {record}, null, false);
        } catch (IOException closed) {
            // Shutting down: the replay at the next start finds the message without its tombstone and the
            // delivery's duplicate check finds its copy in the mailbox.
        }
    }

    /** Returns when everything appended so far is durable. */
    void syncAll() throws IOException {
        awaitDurable(enqueue(new ByteBuffer[0], null, true));
    }

    /**
     * Torn segments that may be retired now, oldest first: a fresh segment has synced since they tore, so the
     * checkpoint can sync their acknowledged messages' files and drop them like any sealed segment.
     */
    List<Segment> takeRetirableTorn() {
        lock.lock();
        try {
            List<Segment> ready = new ArrayList<>(tornRetirable);
            tornRetirable.clear();
            return ready;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until the record is durable, or throws if its write or sync failed. */
    private void awaitDurable(Pending pending) throws IOException {
        lock.lock();
        try {
            while (!pending.done) {
                synced.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
        if (pending.error != null) {
            throw new IOException("journal write failed", pending.error);
        }
    }

    private Pending enqueue(ByteBuffer[] buffers, String messageId, boolean sync) throws IOException {
        lock.lock();
        try {
            if (closing) {
                throw new IOException("spool journal closed");
            }
            Pending pending = new Pending(buffers, ++enqueued, messageId, sync);
            queue.add(pending);
            if (sync) {
                work.signal();
            }
            return pending;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The writer: takes every record queued so far, writes them with one gathering write and syncs them with
     * one {@code fdatasync}, then wakes the sessions waiting for them. It runs on its own platform thread that
     * nothing interrupts (an interrupt would close the file channel under every session).
     */
    private void writeLoop() {
        while (true) {
            List<Pending> batch;
            Segment segment;
            lock.lock();
            try {
                // Tombstones alone do not wake the writer: they ride along with the next sync.
                while (!closing && (queue.isEmpty() || !queue.peekLast().sync && !anySync(queue))) {
                    work.awaitUninterruptibly();
                }
                if (queue.isEmpty()) {
                    writer = null;
                    synced.signalAll();
                    return;
                }
                batch = new ArrayList<>(queue);
                queue.clear();
                segment = current;
            } finally {
                lock.unlock();
            }
            IOException error = null;
            long written = 0;
            try {
                if (segment.torn) {
                    // The fresh segment could not be opened when this one tore: try again, never write after a tear.
                    Segment fresh = openSegment();
                    lock.lock();
                    try {
                        current = fresh;
                    } finally {
                        lock.unlock();
                    }
                    segment = fresh;
                }
                written = write(segment.channel, batch);
                if (anySync(batch)) {
                    segment.channel.force(false);
                }
            } catch (IOException e) {
                error = e;
            }
            lock.lock();
            try {
                segment.bytes += written;
                if (error == null) {
                    for (Pending p : batch) {
                        if (p.messageId != null) {
                            p.segment = segment;
                            segment.messageIds.add(p.messageId);
                            segment.unmaterialized.incrementAndGet();
                        }
                    }
                    syncs++;
                    recordsSynced += batch.size();
                    if (anySync(batch)) {
                        // A sync works again (a full disk has room): the torn segments can be retired.
                        tornRetirable.addAll(torn);
                        torn.clear();
                    }
                } else {
                    for (Pending p : batch) {
                        p.error = error;
                    }
                    // Later records go to a fresh segment; this one may end in a torn record. If the fresh one
                    // cannot be opened now, the next batch tries again before it writes.
                    if (!segment.torn) {
                        segment.torn = true;
                        if (segment == current) {
                            torn.add(segment);
                        }
                    }
                    if (current == segment) {
                        try {
                            current = openSegment();
                        } catch (IOException e) {
                            error.addSuppressed(e);
                        }
                    }
                }
                for (Pending p : batch) {
                    p.done = true;
                }
                synced.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    private static boolean anySync(Iterable<Pending> records) {
        for (Pending p : records) {
            if (p.sync) {
                return true;
            }
        }
        return false;
    }

    private static long write(FileChannel channel, List<Pending> batch) throws IOException {
        int count = 0;
        for (Pending p : batch) {
            count += p.buffers.length;
        }
        ByteBuffer[] all = new ByteBuffer[count];
        int i = 0;
        long total = 0;
        for (Pending p : batch) {
            for (ByteBuffer b : p.buffers) {
                all[i++] = b;
                total += b.remaining();
            }
        }
        long done = 0;
        int first = 0;
        while (done < total) {
            // At most 1024 buffers per call (IOV_MAX); the channel loops over the rest.
            done += channel.write(all, first, Math.min(1024, all.length - first));
            while (first < all.length && !all[first].hasRemaining()) {
                first++;
            }
        }
        return total;
    }

    /**
     * Starts a new segment when the current one is big or old enough, and returns the sealed one (or null).
     * The caller holds the spool's removal lock exclusively, so no removal is half done.
     */
    Segment sealIfDue(long maxAgeNanos) throws IOException {
        lock.lock();
        try {
            Segment segment = current;
            boolean hasRecords = segment.bytes > 0 || !queue.isEmpty();
            if (!hasRecords) {
                return null;
            }
            if (segment.bytes < segmentLimit && System.nanoTime() - segment.createdNanos < maxAgeNanos) {
                return null;
            }
        } finally {
            lock.unlock();
        }
        // Create the next segment (a file and a directory fsync) without holding the lock, so sessions keep
        // queueing and the writer keeps writing meanwhile.
        Segment next = openSegment();
        lock.lock();
        try {
            Segment sealed = current;
            // A batch being written now still goes to the sealed segment (the writer holds it); queued
            // records go to the new one. closeSealed() waits for the former.
            current = next;
            torn.remove(sealed); // a torn current one is the checkpoint's now, like any sealed segment
            return sealed;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until the sealed segment's last batch is written and synced, then closes it. */
    void closeSealed(Segment segment) throws IOException {
        if (segment.torn) {
            // Nothing is written to it after its tear, and what was acknowledged in it was synced before.
            segment.channel.close();
            return;
        }
        syncAll();
        // Its last batches may have been tombstones only, written without a sync.
        segment.channel.force(false);
        segment.channel.close();
    }

    long currentNumber() {
        lock.lock();
        try {
            return current.number;
        } finally {
            lock.unlock();
        }
    }

    /** Average records per fsync since start, for diagnostics. */
    String statistics() {
        lock.lock();
        try {
            return "journal syncs=" + syncs + " records=" + recordsSynced
                    + (syncs == 0 ? "" : String.format(" per-sync=%.1f", (double) recordsSynced / syncs));
        } finally {
            lock.unlock();
        }
    }

    /** Writes and syncs what is queued, stops the writer and closes the current segment. */
    void close() throws IOException {
        Thread running;
        lock.lock();
        try {
            closing = true;
            work.signal();
            running = writer;
        } finally {
            lock.unlock();
        }
        if (running != null) {
            try {
                running.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        lock.lock();
        try {
            current.channel.force(false);
            current.channel.close();
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // reading, for recovery

    /** One record read back from a segment. */
    record Entry(byte type, String id, byte[] envelope, byte[] content) {
    }

    /** Every intact record of a segment, in order; stops at the first torn or corrupt one. */
    static List<Entry> read(Path file) throws IOException {
        List<Entry> entries = new ArrayList<>();
        ByteBuffer data;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            data = ByteBuffer.allocate((int) Math.min(Integer.MAX_VALUE - 8, size));
            while (data.hasRemaining() && channel.read(data) > 0) {
                // reading
            }
            data.flip();
        }
        while (data.remaining() >= 8) {
            int start = data.position();
            if (data.getInt() != MAGIC) {
                break;
            }
            int rest = data.getInt();
            if (rest < 3 || data.remaining() < (long) rest + 4) {
                break;
            }
            CRC32C crc = new CRC32C();
            crc.update(data.array(), data.position(), rest);
            int body = data.position();
            data.position(body + rest);
            int stored = data.getInt();
            if (stored != (int) crc.getValue()) {
                break;
            }
            data.position(body);
            byte type = data.get();
            byte[] id = new byte[data.getShort()];
            data.get(id);
            byte[] envelope = null;
            byte[] content = null;
            if (type == MESSAGE) {
                envelope = new byte[data.getInt()];
                data.get(envelope);
                content = new byte[(int) data.getLong()];
                data.get(content);
            } else if (type != REMOVED) {
                data.position(start);
                break;
            }
            data.position(body + rest + 4);
            entries.add(new Entry(type, new String(id, StandardCharsets.US_ASCII), envelope, content));
        }
        return entries;
    }

    /** The segment files present, oldest first. */
    static List<Path> segments(Path directory) throws IOException {
        List<Path> files = new ArrayList<>();
        if (!Files.isDirectory(directory)) {
            return files;
        }
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory, "*.jnl")) {
            stream.forEach(files::add);
        }
        files.sort(null);
        return files;
    }

    static long number(Path segment) {
        String name = segment.getFileName().toString();
        return Long.parseLong(name.substring(0, name.indexOf('.')));
    }
}
