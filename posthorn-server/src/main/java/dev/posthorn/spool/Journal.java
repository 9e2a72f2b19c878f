package dev.posthorn.spool;

import dev.posthorn.store.GroupSync;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The spool's write-ahead journal: group commit. Sessions append message records, the queue appends the state
 * of messages it attempted and the tombstones of messages it finished. A single writer thread takes every
 * record queued so far, writes them with one gathering write and makes them durable with one
 * {@code fdatasync}; while it syncs, the next group queues up. A caller learns that its record is durable from
 * the future it was given, so a session's {@code 250} never precedes the durability of its message, and the
 * queue forgets nothing before its record of it is on disk.
 *
 * <p>Nobody waits forever: a session gives up after {@link #syncDeadlineNanos} (the writer is stuck in a sync
 * that does not return, or has stopped) and answers {@code 451 4.3.0}; while the writer is stuck, later
 * records are refused at once. A failed write is cut off the segment again ({@code ftruncate}) so that a record
 * whose session was told {@code 451} cannot come back in a replay.
 *
 * <p>Segment: a header, {@link #SEGMENT_MAGIC} (4), the segment's salt (8) and key (4), both random, and the
 * CRC32C of those (4); then records. Record: the salt (8), length of the rest before the check (4), type (1),
 * id length (2), id, then for {@link #MESSAGE} envelope length (4), envelope JSON, content length (8), content;
 * for {@link #STATE} state length (4), state JSON; for {@link #REMOVED} nothing; then the CRC32C of type..end
 * XOR the key (4). Message content is chosen by whoever sends mail, and a replay that looks for the next record
 * after a torn one reads through it: without the salt (which no sender can know) content could carry records
 * that replay would obey (a message to any recipient, a tombstone for someone else's mail). Segments written
 * before the salt ({@link #MAGIC} in place of the salt, plain CRC32C) are still read; {@link JournalReader}
 * reads both.
 *
 * <p>A segment grows in steps of {@link #PREALLOCATION} written with zeros ahead of its records, and ends in zeros
 * (the reader's end). Why: {@code fdatasync} of a file whose length changed must also write its inode, a second
 * synchronous write on every group commit; overwriting blocks that are already the file's needs only the data.
 * On this project's benchmark machine that took a sync from 0.63 to 0.48 ms (median), and the sync is most of
 * what a session waits for before its {@code 250}.
 */
final class Journal {

    private static final Logger LOG = LoggerFactory.getLogger(Journal.class);

    /** The record marker of segments written before the salt (no segment header): read, never written. */
    static final int MAGIC = 0x50484A31; // "PHJ1"
    static final int SEGMENT_MAGIC = 0x50484A32; // "PHJ2"
    static final int SEGMENT_HEADER = 4 + 8 + 4 + 4;
    /** How far ahead of its records a segment is written with zeros (see the class comment). */
    static final long PREALLOCATION = 4L * 1024 * 1024;
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(256 * 1024).asReadOnlyBuffer();
    /** Salt and length before a record's type. */
    static final int RECORD_HEADER = 8 + 4;
    private static final SecureRandom RANDOM = new SecureRandom();
    static final byte MESSAGE = 1;
    static final byte REMOVED = 2;
    static final byte STATE = 3;

    /** Tests only: runs in the writer before each write, to make it fail or hang as a sick disk would. */
    interface Fault {
        void beforeWrite() throws IOException;

        /** Runs between the write and the sync: a sync that fails after the records reached the file. */
        default void afterWrite() throws IOException {
        }

        /** Runs after a batch is done, outside its error handling: a bug that kills the writer thread. */
        default void afterBatch() {
        }

        /** Runs when the writer cuts a failed batch off its segment: a disk that refuses the truncate too. */
        default void beforeCutBack() throws IOException {
        }

        /** Runs before the writer writes the tombstones of records withdrawn while their batch was in flight. */
        default void beforeWithdrawals() throws IOException {
        }

        /** Runs before each chunk of zeros the writer writes ahead of the records: a disk that refuses them (full). */
        default void beforeZeros() throws IOException {
        }

        /** Runs in {@link #sealIfDue} between creating the next segment and switching to it. */
        default void beforeSealSwitch() {
        }
    }

    static volatile Fault fault;

    /** One segment file and the messages recorded in it that still need a checkpoint. */
    static final class Segment {
        final long number;
        final Path file;
        final FileChannel channel;
        /** Messages with a message or state record here: their files must be synced before retirement. */
        final List<String> messageIds = new ArrayList<>();
        /** Records whose .msg/.env files are not written yet: the segment cannot be retired before. */
        final AtomicInteger unmaterialized = new AtomicInteger();
        /** Messages of this segment held in memory, not yet delivered: retiring waits a while for them. */
        final AtomicInteger held = new AtomicInteger();
        /** Tombstones here whose files are not unlinked yet: retiring would let a replay bring them back. */
        final AtomicInteger pendingUnlinks = new AtomicInteger();
        long bytes;
        /** The file's length: {@link #bytes} of records, then zeros written ahead of them (writer thread only). */
        long allocated;
        /** Zeros could not be written ahead here (a full disk): the rest of this segment is appended. */
        boolean appendOnly;
        final long createdNanos = System.nanoTime();
        /** Stamped into every record written here: content cannot know it, so it cannot pose as a record. */
        final long salt;
        final int key;
        /**
         * Closed for writing after its last batch was synced ({@link #closeSealed}). A seal that failed leaves it
         * open, still on the checkpointer's list, and the next checkpoint tries again: a segment that is never
         * retired would be replayed, older than everything after it, and bring back what was delivered since.
         */
        volatile boolean closed;

        Segment(long number, Path file, FileChannel channel, long salt, int key) {
            this.number = number;
            this.file = file;
            this.channel = channel;
            this.salt = salt;
            this.key = key;
            this.bytes = SEGMENT_HEADER;
            this.allocated = SEGMENT_HEADER;
        }
    }

    /** What a record asks of the writer when it is durable. */
    enum Kind { MESSAGE, STATE, REMOVAL, ABANDONED_REMOVAL, BARRIER }

    /** A record waiting for the writer. Fields other than the future change under the journal's lock. */
    private static final class Pending {
        final ByteBuffer[] buffers;
        final String messageId;
        final Kind kind;
        /** CRC32C of the record's type..end; the writer stamps it, XOR the segment's key, with the salt. */
        final int crc;
        final CompletableFuture<Segment> durable = new CompletableFuture<>();
        /** Taken by the writer: it can no longer be withdrawn. */
        boolean taken;
        /** Its session gave up waiting: if it is written after all, nobody will materialize it. */
        boolean abandoned;
        /** The writer is done with its batch (written and synced, or failed). */
        boolean done;
        /** Its batch failed and was cut off the segment again: nothing of it is on disk. */
        volatile boolean cutOff;
        /** The tombstone of an abandoned record whose batch was in flight: written right after that batch. */
        Pending withdrawal;
        Segment segment;

        Pending(ByteBuffer[] buffers, int crc, String messageId, Kind kind) {
            this.buffers = buffers;
            this.crc = crc;
            this.messageId = messageId;
            this.kind = kind;
        }

        /** Which segment a record lands in is known only now: its salt and keyed check go in here. */
        void stamp(Segment segment) {
            if (buffers.length == 0) {
                return; // a barrier
            }
            buffers[0].putLong(0, segment.salt);
            ByteBuffer last = buffers[buffers.length - 1];
            last.putInt(last.limit() - 4, crc ^ segment.key);
        }
    }

    private final Path directory;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final Thread writer;
    private boolean closing;
    private boolean crashed;
    /** The writer thread ended on an unexpected error: nothing is written any more. */
    private volatile boolean dead;
    /** The batch the writer has taken, so that a dying writer can answer its sessions at once. */
    private List<Pending> inFlight = List.of();
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private Segment current;
    /** Segments the writer left after a failed cut-back: the checkpointer must seal and retire them in order. */
    private final List<Segment> abandoned = new ArrayList<>();
    private final AtomicLong nextNumber;
    private final long segmentLimit;
    private final long syncDeadlineNanos;
    /** When the writer started its current write and sync (0 while idle): a stuck disk shows here. */
    private volatile long busySince;
    // statistics: how many records each sync covered
    private long syncs;
    private long recordsSynced;

    Journal(Path directory, long firstNumber, long segmentLimit, long syncDeadlineNanos) throws IOException {
        this.directory = Files.createDirectories(directory);
        this.nextNumber = new AtomicLong(firstNumber);
        this.segmentLimit = segmentLimit;
        this.syncDeadlineNanos = syncDeadlineNanos;
        this.current = openSegment(nextNumber.getAndIncrement());
        this.writer = Thread.ofPlatform().daemon().name("spool-journal").start(this::writeLoop);
    }

    static Path segmentFile(Path directory, long number) {
        return directory.resolve(String.format("%016d.jnl", number));
    }

    /**
     * Creates segment {@code number} (a header write, a file and a directory fsync). The number is taken under the
     * lock by the caller, which switches {@link #current} under the lock too: numbers are the replay order, so
     * the segment made current must always be newer than the one it replaces (see {@link #switchTo}).
     */
    private Segment openSegment(long number) throws IOException {
        Path file = segmentFile(directory, number);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        long salt = RANDOM.nextLong();
        int key = RANDOM.nextInt();
        try {
            ByteBuffer header = ByteBuffer.allocate(SEGMENT_HEADER).putInt(SEGMENT_MAGIC).putLong(salt).putInt(key);
            CRC32C crc = new CRC32C();
            crc.update(header.array(), 0, header.position());
            header.putInt((int) crc.getValue()).flip();
            while (header.hasRemaining()) {
                channel.write(header);
            }
            channel.force(false);
            // The segment's name must be durable before any record in it is acknowledged.
            GroupSync.fsyncDirectory(directory);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        return new Segment(number, file, channel, salt, key);
    }

    /**
     * Appends a message record and returns when it is durable, or throws when it is not within the deadline.
     * The returned segment must be told (via {@link #materialized}) once the message's files are written or
     * it is held.
     */
    Segment appendMessage(String id, byte[] envelope, ByteBuffer[] content, long contentLength) throws IOException {
        byte[] idBytes = id.getBytes(StandardCharsets.US_ASCII);
        int rest = 1 + 2 + idBytes.length + 4 + envelope.length + 8;
        if (rest + contentLength > JournalReader.MAX_RECORD) {
            throw new IOException("message too large for the journal: " + contentLength);
        }
        ByteBuffer header = ByteBuffer.allocate(RECORD_HEADER + rest);
        header.putLong(0).putInt((int) (rest + contentLength)); // the salt goes in when the segment is known
        header.put(MESSAGE).putShort((short) idBytes.length).put(idBytes).putInt(envelope.length).put(envelope)
                .putLong(contentLength);
        header.flip();
        CRC32C crc = new CRC32C();
        crc.update(header.array(), RECORD_HEADER, header.limit() - RECORD_HEADER);
        for (ByteBuffer b : content) {
            crc.update(b.duplicate());
        }
        ByteBuffer[] buffers = new ByteBuffer[content.length + 2];
        buffers[0] = header;
        System.arraycopy(content, 0, buffers, 1, content.length);
        buffers[buffers.length - 1] = ByteBuffer.allocate(4);
        Pending pending = enqueue(buffers, (int) crc.getValue(), id, Kind.MESSAGE);
        try {
            return await(pending.durable);
        } catch (IOException e) {
            CompletableFuture<Segment> tombstone = withdraw(pending);
            if (tombstone != null) {
                // The session answers 451 and its client will send the message again: a replay must not deliver
                // this copy too. Wait (one more deadline: the client waits minutes for the reply to DATA, RFC
                // 5321 4.5.3.2.6) until the withdrawal is durable. If it is not, a kill before it is leaves the
                // record alone on disk: the one window left, logged.
                try {
                    await(tombstone);
                } catch (IOException again) {
                    LOG.error("spool: refused message {} may be durable in the journal and its withdrawal is not yet "
                            + "({}); a crash before it is would deliver it after a replay", id, again.getMessage());
                }
            }
            throw e;
        }
    }

    /**
     * The session gave up on its record: take it out of the queue if the writer has not taken it; else make
     * sure a replay does not bring the message back (a tombstone follows it) and that no checkpoint waits for
     * files that will never be written.
     */
    private CompletableFuture<Segment> withdraw(Pending pending) {
        ByteBuffer record = removedRecord(pending.messageId);
        int crc = checked(record);
        lock.lock();
        try {
            if (!pending.taken) {
                queue.remove(pending);
                return null; // never written
            }
            pending.abandoned = true;
            if (pending.segment != null) {
                // Durable after all, and counted as waiting for its files: nobody will write them now.
                pending.segment.unmaterialized.decrementAndGet();
            }
            if (pending.cutOff) {
                return null; // its failed batch was cut off the segment: nothing to withdraw
            }
            if (!pending.done) {
                // Its batch is being written: the writer appends this tombstone right after that batch's sync,
                // ahead of anything queued, so the record is never durable alone for longer than one sync.
                pending.withdrawal = new Pending(new ByteBuffer[] {record}, crc, pending.messageId,
                        Kind.ABANDONED_REMOVAL);
                return pending.withdrawal.durable;
            }
        } finally {
            lock.unlock();
        }
        try {
            return enqueue(new ByteBuffer[] {record}, crc, pending.messageId, Kind.ABANDONED_REMOVAL).durable;
        } catch (IOException e) {
            LOG.error("spool: cannot record that {} was refused; a replay may deliver it: {}", pending.messageId,
                    e.toString());
            return null;
        }
    }

    void materialized(Segment segment) {
        segment.unmaterialized.decrementAndGet();
    }

    /** Records the new state of a message; the future completes when it is durable. */
    CompletableFuture<Segment> appendState(String id, byte[] state) throws IOException {
        byte[] idBytes = id.getBytes(StandardCharsets.US_ASCII);
        int rest = 1 + 2 + idBytes.length + 4 + state.length;
        if (rest > JournalReader.MAX_RECORD) {
            throw new IOException("state of " + id + " too large for the journal: " + state.length);
        }
        ByteBuffer record = ByteBuffer.allocate(RECORD_HEADER + rest + 4);
        record.putLong(0).putInt(rest).put(STATE).putShort((short) idBytes.length).put(idBytes)
                .putInt(state.length).put(state);
        return enqueue(new ByteBuffer[] {record}, checked(record), id, Kind.STATE).durable;
    }

    /**
     * Records that a message left the queue; the future completes when that is durable. Its segment is not
     * retired before {@link Segment#pendingUnlinks} says the files are gone.
     */
    CompletableFuture<Segment> appendRemoved(String id) throws IOException {
        ByteBuffer record = removedRecord(id);
        return enqueue(new ByteBuffer[] {record}, checked(record), id, Kind.REMOVAL).durable;
    }

    private static ByteBuffer removedRecord(String id) {
        byte[] idBytes = id.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer record = ByteBuffer.allocate(RECORD_HEADER + 1 + 2 + idBytes.length + 4);
        record.putLong(0).putInt(1 + 2 + idBytes.length).put(REMOVED).putShort((short) idBytes.length)
                .put(idBytes);
        return record;
    }

    /** The CRC32C of everything after salt and length; leaves room for the check and flips the buffer. */
    private static int checked(ByteBuffer record) {
        CRC32C crc = new CRC32C();
        crc.update(record.array(), RECORD_HEADER, record.position() - RECORD_HEADER);
        record.putInt(0).flip();
        return (int) crc.getValue();
    }

    /** Returns when everything appended so far is durable; throws when the journal cannot say so in time. */
    void syncAll() throws IOException {
        await(enqueue(new ByteBuffer[0], 0, null, Kind.BARRIER).durable);
    }

    /** Waits for a record with the deadline: a writer that is stuck or gone must not hold anyone forever. */
    <T> T await(CompletableFuture<T> future) throws IOException {
        try {
            return BoundedWait.get(future, syncDeadlineNanos);
        } catch (TimeoutException e) {
            LOG.error("spool journal: no sync within {} ms; the disk or the journal writer is stuck",
                    TimeUnit.NANOSECONDS.toMillis(syncDeadlineNanos));
            throw new IOException("the journal did not confirm the write within "
                    + TimeUnit.NANOSECONDS.toMillis(syncDeadlineNanos) + " ms");
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? new IOException(io.getMessage(), io)
                    : new IOException("journal write failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the journal", e);
        }
    }

    private Pending enqueue(ByteBuffer[] buffers, int crc, String messageId, Kind kind) throws IOException {
        lock.lock();
        try {
            if (closing) {
                throw new IOException("spool journal closed");
            }
            if (dead || !writer.isAlive()) {
                throw new IOException("the spool journal's writer has stopped");
            }
            long since = busySince;
            // A withdrawal's tombstone must queue whatever the disk does: it keeps a refused message from a replay.
            if (kind != Kind.ABANDONED_REMOVAL && since != 0 && System.nanoTime() - since > syncDeadlineNanos) {
                // Queueing behind a sync that has not returned for this long would only make the wait longer.
                throw new IOException("the journal's last sync has not returned for "
                        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since) + " ms");
            }
            Pending pending = new Pending(buffers, crc, messageId, kind);
            queue.add(pending);
            work.signal();
            return pending;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The writer: takes every record queued so far, writes them with one gathering write and syncs them with
     * one {@code fdatasync}, then completes their futures. It runs on its own platform thread that nothing
     * interrupts (an interrupt would close the file channel under every session), and it survives any failure
     * of a batch: the batch's records fail, the segment is cut back, and the next batch tries again.
     */
    private void writeLoop() {
        try {
            writeBatches();
        } catch (Throwable t) {
            died(t);
        }
    }

    /**
     * The writer thread is ending on an error outside any write (a bug): say so loudly, answer everyone waiting
     * at once, and refuse what comes (451 4.3.0) until a restart; {@link #healthy()} says so to monitoring.
     */
    private void died(Throwable t) {
        List<Pending> waiting;
        lock.lock();
        try {
            dead = true;
            waiting = new ArrayList<>(inFlight);
            waiting.addAll(queue);
            queue.clear();
        } finally {
            lock.unlock();
        }
        LOG.error("SPOOL JOURNAL WRITER DIED: {}. Every message is refused with 451 4.3.0 until Posthorn is "
                + "restarted; nothing acknowledged is lost.", t.toString(), t);
        IOException failure = new IOException("the spool journal's writer has died: " + t, t);
        for (Pending p : waiting) {
            p.durable.completeExceptionally(failure);
            if (p.withdrawal != null) {
                p.withdrawal.durable.completeExceptionally(failure);
            }
        }
    }

    /**
     * Whether the journal can make records durable now: its writer runs, and is not stuck in a sync older than
     * the deadline. False means sessions are answered {@code 451 4.3.0}.
     */
    boolean healthy() {
        lock.lock();
        try {
            long since = busySince;
            return !dead && writer.isAlive() && !closing
                    && (since == 0 || System.nanoTime() - since <= syncDeadlineNanos);
        } finally {
            lock.unlock();
        }
    }

    private void writeBatches() {
        while (true) {
            List<Pending> batch;
            Segment segment;
            lock.lock();
            try {
                while (!closing && queue.isEmpty()) {
                    work.awaitUninterruptibly();
                }
                if (crashed || (closing && queue.isEmpty())) {
                    return;
                }
                batch = new ArrayList<>(queue);
                queue.clear();
                for (Pending p : batch) {
                    p.taken = true;
                }
                inFlight = batch;
                segment = current;
                busySince = Math.max(1, System.nanoTime());
            } finally {
                lock.unlock();
            }
            Throwable error = null;
            long written = 0;
            try {
                Fault f = fault;
                if (f != null) {
                    f.beforeWrite();
                }
                for (Pending p : batch) {
                    p.stamp(segment);
                }
                preallocate(segment, batch);
                written = write(segment.channel, batch);
                if (f != null) {
                    f.afterWrite();
                }
                segment.channel.force(false);
            } catch (Throwable t) {
                error = t;
            }
            if (error != null) {
                LOG.error("spool journal: write or sync of {} record(s) to {} failed; their sessions get 451: {}",
                        batch.size(), segment.file.getFileName(), error.toString(), error);
                boolean cut = cutBack(segment);
                for (Pending p : batch) {
                    p.cutOff = cut;
                }
            }
            List<Pending> withdrawals = new ArrayList<>();
            lock.lock();
            try {
                if (error == null) {
                    segment.bytes += written;
                    for (Pending p : batch) {
                        account(p, segment);
                    }
                    syncs++;
                    recordsSynced += batch.size();
                }
                for (Pending p : batch) {
                    p.done = true;
                    if (p.withdrawal != null) {
                        withdrawals.add(p.withdrawal);
                    }
                }
                if (error != null && !withdrawals.isEmpty()) {
                    // Cut back with the batch (or left in an abandoned segment): the next batch writes them.
                    for (Pending w : withdrawals) {
                        queue.addFirst(w);
                    }
                    withdrawals.clear();
                }
                if (withdrawals.isEmpty()) {
                    busySince = 0;
                }
            } finally {
                lock.unlock();
            }
            if (!withdrawals.isEmpty()) {
                writeWithdrawals(withdrawals, segment);
            }
            IOException failure = error == null ? null : error instanceof IOException io ? io
                    : new IOException("journal writer failed: " + error, error);
            for (Pending p : batch) {
                if (failure == null) {
                    p.durable.complete(segment);
                } else {
                    p.durable.completeExceptionally(failure);
                }
            }
            if (error instanceof Error) {
                pause(); // not a disk error: do not spin on it
            }
            Fault f = fault;
            if (f != null) {
                f.afterBatch();
            }
        }
    }

    /**
     * Tombstones of records whose sessions gave up while their batch was written: written and synced at once,
     * so that such a record is durable alone only for the time of one sync.
     */
    private void writeWithdrawals(List<Pending> withdrawals, Segment segment) {
        Throwable error = null;
        long written = 0;
        try {
            Fault f = fault;
            if (f != null) {
                f.beforeWithdrawals();
            }
            for (Pending w : withdrawals) {
                w.taken = true;
                w.stamp(segment);
            }
            preallocate(segment, withdrawals);
            written = write(segment.channel, withdrawals);
            segment.channel.force(false);
        } catch (Throwable t) {
            error = t;
            LOG.error("spool journal: the withdrawal of {} refused record(s) failed; they go first in the next "
                    + "batch (until then a replay may deliver them): {}", withdrawals.size(), t.toString());
            cutBack(segment);
        }
        lock.lock();
        try {
            busySince = 0;
            if (error == null) {
                segment.bytes += written;
                for (Pending w : withdrawals) {
                    account(w, segment);
                    w.done = true;
                }
            } else {
                // Like a failed batch's withdrawals in the main loop: the tombstones are what keeps a refused message
                // out of a replay, so they are not given up but written first in the next batch. Their futures
                // complete then; the sessions waiting on them give up at their deadline anyway.
                for (int i = withdrawals.size() - 1; i >= 0; i--) {
                    queue.addFirst(withdrawals.get(i));
                }
            }
        } finally {
            lock.unlock();
        }
        if (error == null) {
            for (Pending w : withdrawals) {
                w.durable.complete(segment);
            }
        } else if (error instanceof Error) {
            pause(); // not a disk error: do not spin on it
        }
    }

    /** Whether the writer is in a write and sync now (tests wait for it to be done). */
    boolean writing() {
        return busySince != 0;
    }

    /** Under the lock, after a successful sync: what the checkpoint must wait for. */
    private static void account(Pending p, Segment segment) {
        p.segment = segment;
        switch (p.kind) {
            case MESSAGE -> {
                segment.messageIds.add(p.messageId);
                if (!p.abandoned) {
                    segment.unmaterialized.incrementAndGet();
                }
            }
            case STATE -> segment.messageIds.add(p.messageId);
            case REMOVAL -> segment.pendingUnlinks.incrementAndGet();
            case ABANDONED_REMOVAL, BARRIER -> {
                // nothing to wait for
            }
        }
    }

    /**
     * After a failed write: the records of the batch were refused to their callers, so none may stay in the
     * segment. Truncate back to the last synced length; if even that fails, continue in a new segment and let
     * the reader find the damaged tail.
     */
    private boolean cutBack(Segment segment) {
        try {
            Fault f = fault;
            if (f != null) {
                f.beforeCutBack();
            }
            segment.channel.truncate(segment.bytes);
            segment.channel.position(segment.bytes);
            segment.channel.force(false);
            segment.allocated = segment.bytes;
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.error("spool journal: cannot cut back {} after a failed write ({}); continuing in a new segment",
                    segment.file.getFileName(), e.toString());
            try {
                Segment next = openSegment(takeNumber());
                lock.lock();
                try {
                    if (switchTo(segment, next)) {
                        // Not forgotten: it holds acknowledged records, so it is sealed and retired like any other,
                        // in its turn (else it would stay on disk and a replay would bring its messages back).
                        abandoned.add(segment);
                    }
                    // else sealed meanwhile: the checkpointer has it already, and switchTo dropped the new file.
                } finally {
                    lock.unlock();
                }
            } catch (IOException | RuntimeException again) {
                LOG.error("spool journal: cannot open a new segment either: {}", again.toString());
                // Still current: the next batches go after the failed one, so its octets count in the segment's
                // length from now on (a later cut-back, the zeros' cut-off or the seal's cuts to that length). They
                // are overwritten with zeros first where the disk lets us, so that its refused records cannot come
                // back in a replay even if their tombstones fail too (the reader resumes at the next intact record).
                try {
                    long position = segment.channel.position();
                    try {
                        zeroFill(segment.channel, segment.bytes, position);
                        segment.channel.force(false);
                    } catch (IOException | RuntimeException unerased) {
                        LOG.error("spool journal: cannot erase the refused batch in {} either ({}); their tombstones "
                                + "keep them out of a replay", segment.file.getFileName(), unerased.toString());
                    }
                    lock.lock();
                    try {
                        segment.bytes = Math.max(segment.bytes, position);
                    } finally {
                        lock.unlock();
                    }
                } catch (IOException closed) {
                    LOG.error("spool journal: cannot tell where {} ends: {}", segment.file.getFileName(),
                            closed.toString());
                }
            }
            return false;
        }
    }

    private static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Before a write at the segment's end: when the records would reach past the zeros written ahead, writes the
     * next steps of {@link #PREALLOCATION} (synced by the batch's own sync). A disk that refuses them (full) only
     * costs the saving: what zeros got there are cut off again (they would take the last free space from the
     * batch and from delivery), the rest of the segment is appended as it would be without, and the batch's own
     * write says whether it fits.
     */
    private static void preallocate(Segment segment, List<Pending> batch) {
        if (segment.appendOnly) {
            return;
        }
        long needed = segment.bytes;
        for (Pending p : batch) {
            for (ByteBuffer b : p.buffers) {
                needed += b.remaining();
            }
        }
        if (needed == segment.bytes || needed < segment.allocated) { // nothing to write (a barrier), or room
            return;
        }
        // At least one zero after the records, always: the reader tells a write cut off in the zeros by them.
        long target = (needed / PREALLOCATION + 1) * PREALLOCATION;
        try {
            zeroFill(segment.channel, Math.max(segment.allocated, segment.bytes), target);
            segment.allocated = target;
        } catch (IOException e) {
            segment.appendOnly = true;
            segment.allocated = segment.bytes; // zeros that stay (a cut that fails) are overwritten: writes go at bytes
            String cut;
            try {
                segment.channel.truncate(segment.bytes);
                cut = "";
            } catch (IOException again) {
                cut = "; the zeros written could not be cut off either (" + again + ")";
            }
            LOG.warn("spool journal: cannot write {} ahead with zeros ({}){}; the rest of it is appended, each sync "
                    + "writing its length too", segment.file.getFileName(), e.toString(), cut);
        }
    }

    /** Writes zeros from {@code at} to {@code end}, positionally (the channel's position stays where it is). */
    private static void zeroFill(FileChannel channel, long at, long end) throws IOException {
        while (at < end) {
            Fault f = fault;
            if (f != null) {
                f.beforeZeros();
            }
            ByteBuffer zeros = ZEROS.duplicate();
            zeros.limit((int) Math.min(zeros.capacity(), end - at));
            at += channel.write(zeros, at);
        }
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
                all[i++] = b.duplicate(); // a failed batch is never retried, but keep the callers' buffers intact
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
     */
    Segment sealIfDue(long maxAgeNanos) throws IOException {
        Segment segment;
        long number;
        lock.lock();
        try {
            segment = current;
            boolean hasRecords = segment.bytes > SEGMENT_HEADER || !queue.isEmpty();
            if (!hasRecords) {
                return null;
            }
            if (segment.bytes < segmentLimit && System.nanoTime() - segment.createdNanos < maxAgeNanos) {
                return null;
            }
            // Taken with the current segment in view: the new number is higher than every segment made so far.
            number = nextNumber.getAndIncrement();
        } finally {
            lock.unlock();
        }
        // Create the next segment (a file and a directory fsync) without holding the lock, so sessions keep
        // queueing and the writer keeps writing meanwhile.
        Segment next = openSegment(number);
        Fault f = fault;
        if (f != null) {
            f.beforeSealSwitch();
        }
        lock.lock();
        try {
            // A batch being written now still goes to the sealed segment (the writer holds it); queued
            // records go to the new one. closeSealed() waits for the former. If the writer moved on meanwhile
            // (a failed cut-back), it has handed the old segment to the checkpointer itself: nothing to seal.
            return switchTo(segment, next) ? segment : null;
        } finally {
            lock.unlock();
        }
    }

    private long takeNumber() {
        lock.lock();
        try {
            return nextNumber.getAndIncrement();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Under the lock: makes {@code next} current if {@code expected} still is, else closes and deletes it. Replay
     * applies segments in the order of their numbers, so a record written later must never land in a segment
     * with a lower number than one written before it (an older state would be applied after a newer one:
     * delivered mail would come back). The sealer and a failed cut-back each open a segment without the lock;
     * only the first to switch wins, and only to a number above the current one.
     */
    private boolean switchTo(Segment expected, Segment next) throws IOException {
        if (current == expected && next.number > current.number) {
            current = next;
            return true;
        }
        next.channel.close();
        Files.deleteIfExists(next.file);
        return false;
    }

    /** The segments the writer left behind after a failed cut-back, for the checkpointer; the list empties. */
    List<Segment> takeAbandoned() {
        lock.lock();
        try {
            List<Segment> taken = new ArrayList<>(abandoned);
            abandoned.clear();
            return taken;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until the sealed segment's last batch is written and synced, then closes it. When that fails (a
     * failed write, a sync slower than the deadline) the segment stays open and this may be called again.
     */
    void closeSealed(Segment segment) throws IOException {
        if (segment.closed) {
            return;
        }
        syncAll();
        long end;
        lock.lock();
        try {
            end = segment.bytes;
        } finally {
            lock.unlock();
        }
        try {
            // Nothing writes here any more: the zeros written ahead go, and a sealed segment takes what it holds.
            segment.channel.truncate(end);
        } catch (IOException e) {
            LOG.warn("spool journal: cannot cut what follows the records off sealed {} ({}); replay reads it as before",
                    segment.file.getFileName(), e.toString());
        }
        segment.channel.force(false);
        segment.channel.close();
        segment.closed = true;
    }

    long syncs() {
        lock.lock();
        try {
            return syncs;
        } finally {
            lock.unlock();
        }
    }

    long recordsSynced() {
        lock.lock();
        try {
            return recordsSynced;
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
        stop(false);
    }

    /** Tests: stops as a killed process would: what is queued is never written. */
    void crash() throws IOException {
        stop(true);
    }

    private void stop(boolean crash) throws IOException {
        lock.lock();
        try {
            closing = true;
            crashed = crash;
            work.signal();
        } finally {
            lock.unlock();
        }
        try {
            writer.join(TimeUnit.NANOSECONDS.toMillis(syncDeadlineNanos) + 1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        lock.lock();
        try {
            try {
                if (!crash) {
                    current.channel.force(false);
                }
            } finally {
                current.channel.close();
            }
        } finally {
            lock.unlock();
        }
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
        try {
            return Long.parseLong(name.substring(0, name.indexOf('.')));
        } catch (RuntimeException e) {
            return 0; // not one of ours; ignored for numbering
        }
    }
}
