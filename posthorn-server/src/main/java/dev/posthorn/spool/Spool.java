package dev.posthorn.spool;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The queue directory where accepted messages wait for delivery: {@code <id>.msg} holds the message as it will
 * be delivered, {@code <id>.env} its envelope. A message exists once its {@code .env} is written; a
 * {@code .msg} without one is a transaction that never got its {@code 250}.
 *
 * <p>Durability comes in two ways. A message up to {@link #INLINE_LIMIT} octets is made durable by the
 * {@link Journal} (one {@code fdatasync} for every session that commits at the same time: group commit), and
 * its files are written right after; a checkpoint syncs those files later and drops the journal segment, and
 * opening the spool replays whatever segments are left. A larger message streams into its {@code .msg}, which
 * is synced on its own, with its {@code .env} synced and renamed, and the directory synced (grouped too).
 * Either way, {@link SpoolWriter#commit} returns only when the message would survive a crash of the machine.
 */
public final class Spool implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Spool.class);

    /** Messages up to this size go through the journal (system property {@code posthorn.spool.inline-limit}). */
    static final long INLINE_LIMIT = Long.getLong("posthorn.spool.inline-limit", 1024 * 1024);
    /** {@code -Dposthorn.spool.journal=false} turns the journal off: every message is synced file by file. */
    static final boolean JOURNAL = Boolean.parseBoolean(System.getProperty("posthorn.spool.journal", "true"));
    private static final long SEGMENT_LIMIT = 256L * 1024 * 1024;
    private static final long SEGMENT_MAX_AGE_NANOS = TimeUnit.SECONDS.toNanos(10);
    /**
     * How long a sealed segment may wait for its held messages to be delivered before the checkpoint writes
     * them out: writing out (and syncing) a message that is delivered a moment later is wasted work.
     */
    private static final long RETIRE_GRACE_NANOS = TimeUnit.SECONDS.toNanos(30);
    /** Content held in memory for immediate delivery, at most (system property {@code posthorn.spool.held-limit}). */
    static final long HELD_LIMIT = Long.getLong("posthorn.spool.held-limit", 256L * 1024 * 1024);
    private static final long CHECKPOINT_INTERVAL_MILLIS = 250;

    private final Path directory;
    private final GroupSync directorySync;
    private final Journal journal;
    /** Shared by removals (tombstone + unlinks), exclusive for sealing a segment: see {@link #checkpoint}. */
    private final ReentrantReadWriteLock removal = new ReentrantReadWriteLock();
    private final ArrayDeque<Journal.Segment> sealed = new ArrayDeque<>();
    private final Thread checkpointer;
    private volatile boolean closed;
    /** Journaled messages whose files are not written (yet): delivery reads them from memory. */
    private final ConcurrentHashMap<String, Held> held = new ConcurrentHashMap<>();
    private final AtomicLong heldBytes = new AtomicLong();
    /** Journaled messages whose files were written without a sync: a checkpoint syncs them. */
    private final Set<String> unsyncedFiles = ConcurrentHashMap.newKeySet();
    private volatile boolean crashed;

    public Spool(Path directory) throws IOException {
        this.directory = Files.createDirectories(directory);
        this.directorySync = GroupSync.of(directory);
        if (JOURNAL) {
            Path journalDirectory = directory.resolve("journal");
            long next = replay(journalDirectory);
            this.journal = new Journal(journalDirectory, next, SEGMENT_LIMIT);
            this.checkpointer = Thread.ofPlatform().daemon().name("spool-checkpoint").start(this::checkpointLoop);
        } else {
            this.journal = null;
            this.checkpointer = null;
        }
    }

    public Path directory() {
        return directory;
    }

    /** Opens a new message; the id is known now so the Received: field can name it. */
    public SpoolWriter begin() throws IOException {
        return new SpoolWriter(this, QueueIds.next(), journal == null ? 0 : INLINE_LIMIT);
    }

    public Path messageFile(String id) {
        return directory.resolve(id + ".msg");
    }

    public Path envelopeFile(String id) {
        return directory.resolve(id + ".env");
    }

    GroupSync directorySync() {
        return directorySync;
    }

    Journal journal() {
        return journal;
    }

    /**
     * A message whose durable copy is the journal and whose files are not written: it is delivered straight
     * from memory, and gets files only if it has to wait (a deferred delivery) or its segment is checkpointed
     * first. {@code state} changes under the object's lock, so a removal and a materialization never cross.
     */
    static final class Held {
        static final int HELD = 0;
        static final int MATERIALIZED = 1;
        static final int REMOVED = 2;

        final String id;
        final byte[] envelope;
        final long size;
        final Journal.Segment segment;
        ContentBuffer content;
        int state = HELD;

        Held(String id, byte[] envelope, ContentBuffer content, Journal.Segment segment) {
            this.id = id;
            this.envelope = envelope;
            this.content = content;
            this.size = content.size();
            this.segment = segment;
        }
    }

    /** Whether a journaled message of this size may stay in memory (instead of being written out now). */
    boolean mayHold(long size) {
        return heldBytes.get() + size <= HELD_LIMIT;
    }

    /** A journaled message's files were written (not synced) at commit. */
    void filesWritten(String id) {
        unsyncedFiles.add(id);
    }

    void hold(String id, byte[] envelope, ContentBuffer content, Journal.Segment segment) {
        content.trim();
        Held h = new Held(id, envelope, content, segment);
        heldBytes.addAndGet(h.size);
        segment.held.incrementAndGet();
        held.put(id, h);
    }

    /** The message content as it will be delivered: from memory while the spool holds it, else its file. */
    public InputStream openContent(String id) throws IOException {
        Held h = held.get(id);
        if (h != null) {
            ContentBuffer content;
            synchronized (h) {
                content = h.content;
            }
            if (content != null) {
                return content.openStream();
            }
        }
        return Files.newInputStream(messageFile(id));
    }

    /** Makes sure the message has its {@code .msg} and {@code .env} files (it stays queued for a while). */
    public void materialize(String id) throws IOException {
        Held h = held.get(id);
        if (h != null) {
            materialize(h, false);
        }
    }

    /** Writes the files of a held message; with {@code sync}, also syncs them (a checkpoint). */
    private void materialize(Held h, boolean sync) throws IOException {
        synchronized (h) {
            if (h.state == Held.HELD) {
                writeFile(messageFile(h.id), h.content.inlineBuffers(), sync);
                Path temporary = directory.resolve(h.id + ".env.tmp");
                writeFile(temporary, h.envelope, sync);
                Files.move(temporary, envelopeFile(h.id), StandardCopyOption.ATOMIC_MOVE);
                h.state = Held.MATERIALIZED;
                h.content = null;
                heldBytes.addAndGet(-h.size);
                h.segment.held.decrementAndGet();
                if (!sync) {
                    unsyncedFiles.add(h.id);
                }
            } else if (h.state == Held.MATERIALIZED && sync && unsyncedFiles.remove(h.id)) {
                fsyncIfPresent(messageFile(h.id));
                fsyncIfPresent(envelopeFile(h.id));
            }
        }
    }

    /** Removes a delivered message: envelope first, so a crash in between leaves only an orphan .msg. */
    public void remove(String id) throws IOException {
        if (journal == null) {
            Files.deleteIfExists(envelopeFile(id));
            Files.deleteIfExists(messageFile(id));
            return;
        }
        removal.readLock().lock();
        try {
            // The tombstone keeps a replay from bringing the message back (it is synced with the next commit).
            journal.appendRemoved(id);
            unsyncedFiles.remove(id);
            Held h = held.remove(id);
            if (h != null) {
                synchronized (h) {
                    boolean hadFiles = h.state == Held.MATERIALIZED;
                    if (h.state == Held.HELD) {
                        heldBytes.addAndGet(-h.size);
                        h.segment.held.decrementAndGet();
                        h.content = null;
                    }
                    h.state = Held.REMOVED;
                    if (!hadFiles) {
                        return;
                    }
                }
            }
            Files.deleteIfExists(envelopeFile(id));
            Files.deleteIfExists(messageFile(id));
        } finally {
            removal.readLock().unlock();
        }
    }

    /** Syncs what the journal holds into the files and stops the checkpoints. */
    @Override
    public void close() {
        if (journal == null || closed) {
            return;
        }
        closed = true;
        // Never interrupt: an interrupted thread in file I/O closes the channel it was using.
        LockSupport.unpark(checkpointer);
        try {
            checkpointer.join(30_000);
            LOG.info("spool closed: {}", journal.statistics());
            journal.close();
        } catch (IOException e) {
            LOG.warn("spool close: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // checkpoints

    private void checkpointLoop() {
        while (!closed) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(CHECKPOINT_INTERVAL_MILLIS));
            if (closed || crashed) {
                break;
            }
            try {
                checkpoint(false);
            } catch (IOException | RuntimeException e) {
                LOG.warn("spool checkpoint failed, will retry: {}", e.toString());
            }
        }
        if (crashed) {
            return;
        }
        try {
            checkpoint(true);
        } catch (IOException | RuntimeException e) {
            LOG.warn("spool checkpoint at close failed: {}", e.toString());
        }
    }

    /** Tests: stop checkpointing as a crash would, leaving the journal as the only durable copy. */
    void simulateCrash() throws InterruptedException {
        crashed = true;
        LockSupport.unpark(checkpointer);
        checkpointer.join();
    }

    /**
     * Retires journal segments. A sealed segment is dropped only after (1) its records are written and synced,
     * (2) every message in it was either held or written out, (3) the files of those still queued are written
     * (for held ones) and synced, (4) the
     * directory is synced, so their names and the unlinks of removed ones are durable, and (5) every tombstone
     * appended so far is synced. Sealing takes the removal lock exclusively, so any removal whose tombstone is
     * in the segment has finished its unlinks before (4).
     */
    synchronized void checkpoint(boolean all) throws IOException {
        removal.writeLock().lock();
        try {
            Journal.Segment segment = journal.sealIfDue(all ? 0 : SEGMENT_MAX_AGE_NANOS);
            if (segment != null) {
                journal.closeSealed(segment);
                sealed.add(segment);
            }
            // A segment that tore on a failed write (a full disk) is retired like a sealed one once a later sync
            // worked: its acknowledged messages are synced below. In number order, so that no segment goes before
            // an older one whose messages its tombstones remove.
            List<Journal.Segment> torn = journal.takeRetirableTorn();
            if (!torn.isEmpty()) {
                for (Journal.Segment t : torn) {
                    journal.closeSealed(t);
                }
                List<Journal.Segment> ordered = new ArrayList<>(sealed);
                ordered.addAll(torn);
                ordered.sort(java.util.Comparator.comparingLong(t -> t.number));
                sealed.clear();
                sealed.addAll(ordered);
            }
        } finally {
            removal.writeLock().unlock();
        }
        while (!sealed.isEmpty()) {
            Journal.Segment segment = sealed.peek();
            long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (segment.unmaterialized.get() > 0) {
                if (System.nanoTime() > waitUntil) {
                    return;
                }
                Thread.onSpinWait();
                Thread.yield();
            }
            if (!all && segment.held.get() > 0 && System.nanoTime() - segment.createdNanos < RETIRE_GRACE_NANOS) {
                return; // its messages are being delivered from memory; look again at the next checkpoint
            }
            for (String id : segment.messageIds) {
                Held h = held.get(id);
                if (h != null) {
                    materialize(h, true);
                } else if (unsyncedFiles.remove(id)) {
                    fsyncIfPresent(messageFile(id));
                    fsyncIfPresent(envelopeFile(id));
                }
                // Else it was delivered and removed (its tombstone is synced below).
            }
            GroupSync.fsyncDirectory(directory);
            journal.syncAll();
            Files.deleteIfExists(segment.file);
            sealed.poll();
        }
    }

    private static void fsyncIfPresent(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            channel.force(false);
        } catch (NoSuchFileException removedMeanwhile) {
            // Delivered and removed while we looked: its tombstone is synced below.
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // recovery

    /**
     * Writes out and syncs every message that the journal holds and that was not removed, deletes the files
     * of removed ones, then drops the segments. Returns the number for the next segment.
     */
    private long replay(Path journalDirectory) throws IOException {
        List<Path> segments = Journal.segments(journalDirectory);
        if (segments.isEmpty()) {
            return 1;
        }
        Map<String, Journal.Entry> messages = new LinkedHashMap<>();
        Set<String> removed = new HashSet<>();
        long last = 0;
        for (Path segment : segments) {
            last = Math.max(last, Journal.number(segment));
            for (Journal.Entry entry : Journal.read(segment)) {
                if (entry.type() == Journal.MESSAGE) {
                    messages.put(entry.id(), entry);
                } else {
                    removed.add(entry.id());
                }
            }
        }
        for (String id : removed) {
            messages.remove(id);
            Files.deleteIfExists(envelopeFile(id));
            Files.deleteIfExists(messageFile(id));
        }
        for (Journal.Entry entry : messages.values()) {
            writeFile(messageFile(entry.id()), entry.content(), true);
            Path temporary = directory.resolve(entry.id() + ".env.tmp");
            writeFile(temporary, entry.envelope(), true);
            Files.move(temporary, envelopeFile(entry.id()), StandardCopyOption.ATOMIC_MOVE);
        }
        GroupSync.fsyncDirectory(directory);
        for (Path segment : segments) {
            Files.delete(segment);
        }
        if (!messages.isEmpty() || !removed.isEmpty()) {
            LOG.info("spool recovery: {} message(s) restored from the journal, {} removal(s) applied",
                    messages.size(), removed.size());
        }
        return last + 1;
    }

    static void writeFile(Path file, byte[] bytes, boolean sync) throws IOException {
        writeFile(file, new ByteBuffer[] {ByteBuffer.wrap(bytes)}, sync);
    }

    static void writeFile(Path file, ByteBuffer[] buffers, boolean sync) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            long remaining = 0;
            for (ByteBuffer b : buffers) {
                remaining += b.remaining();
            }
            while (remaining > 0) {
                remaining -= channel.write(buffers);
            }
            if (sync) {
                channel.force(false);
            }
        }
    }
}
