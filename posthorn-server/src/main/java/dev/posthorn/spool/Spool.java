package dev.posthorn.spool;

import dev.posthorn.store.GroupSync;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The queue directory where accepted messages wait for delivery: {@code <id>.msg} holds the message as it will
 * be delivered, {@code <id>.env} its envelope, {@code <id>.state} what the queue has done with each recipient.
 * A message exists once its {@code .env} is written; a {@code .msg} or {@code .state} without one is a
 * transaction that never got its {@code 250}, or a message removed just before a crash.
 *
 * <p>Durability comes in two ways. A message up to {@link #INLINE_LIMIT} octets is made durable by the
 * {@link Journal} (one {@code fdatasync} for every session that commits at the same time: group commit), and
 * its files are written right after; a checkpoint syncs those files later and drops the journal segment, and
 * opening the spool replays whatever segments are left. A larger message streams into its {@code .msg}, which
 * is synced on its own, with its {@code .env} synced and renamed, and the directory synced (grouped too).
 * Either way, {@link SpoolWriter#commit} returns only when the message would survive a crash of the machine.
 * States ({@link #writeState}) and removals ({@link #remove}) go through the journal too, and their futures
 * complete when they are durable.
 *
 * <p>One process at a time: the spool holds {@code spool.lock} while open.
 */
public final class Spool implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Spool.class);

    /** Held by the process that has the spool open (a server, or {@code posthorn queue} on a stopped one). */
    public static final String LOCK_FILE = "spool.lock";
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
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final Journal journal;
    /** Sealed segments not retired yet, lowest number first: they are retired strictly in that order. */
    private final PriorityQueue<Journal.Segment> sealed =
            new PriorityQueue<>(Comparator.comparingLong((Journal.Segment s) -> s.number));
    private final Thread checkpointer;
    /** Deletes the files of removed messages once their tombstones are durable, off the writer's thread. */
    private final ScheduledExecutorService unlinker = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("spool-unlink").factory());
    private volatile boolean closed;
    /** Journaled messages whose files are not written (yet): delivery reads them from memory. */
    private final ConcurrentHashMap<String, Held> held = new ConcurrentHashMap<>();
    private final AtomicLong heldBytes = new AtomicLong();
    /** Journaled messages whose files were written without a sync: a checkpoint syncs them. */
    private final Set<String> unsyncedFiles = ConcurrentHashMap.newKeySet();
    private volatile boolean crashed;
    private final Acceptance acceptance;

    public Spool(Path directory) throws IOException {
        this(directory, null);
    }

    /**
     * A spool whose messages are made durable by {@code acceptance} (a shared store) instead of its journal; the
     * journal then carries nothing new. It is still replayed, so that what a node accepted on the files store is
     * on disk where {@link #storedIds()} sees it: nothing delivers those messages from a shared store, so the
     * server refuses to start on one while any is left (PosthornServer.refuseLocalBacklog).
     */
    public Spool(Path directory, Acceptance acceptance) throws IOException {
        this.acceptance = acceptance;
        this.directory = Files.createDirectories(directory);
        this.directorySync = GroupSync.of(directory);
        this.lockChannel = FileChannel.open(directory.resolve(LOCK_FILE), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        FileLock taken = null;
        try {
            taken = lockChannel.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            // this very process has it open already
        }
        if (taken == null) {
            lockChannel.close();
            throw new IOException("another Posthorn process is using " + directory + " (" + LOCK_FILE + " is locked)");
        }
        this.lock = taken;
        Journal opened = null;
        try {
            if (JOURNAL) {
                Path journalDirectory = directory.resolve("journal");
                long next = new JournalReplay(directory, journalDirectory).run();
                long deadline = Long.getLong("posthorn.spool.sync-deadline-millis", 5000);
                opened = new Journal(journalDirectory, next, SEGMENT_LIMIT, TimeUnit.MILLISECONDS.toNanos(deadline));
            }
            // Before the checkpointer starts: a failure here must not leave a thread behind.
            removeOrphans();
        } catch (IOException | RuntimeException e) {
            if (opened != null) {
                try {
                    opened.close(); // its writer thread and its segment's channel
                } catch (IOException | RuntimeException again) {
                    e.addSuppressed(again);
                }
            }
            unlinker.shutdownNow();
            releaseLock();
            throw e;
        }
        this.journal = opened;
        this.checkpointer = opened == null ? null
                : Thread.ofPlatform().daemon().name("spool-checkpoint").start(this::checkpointLoop);
    }

    /** Whether some process has the spool in this directory open (it holds the lock). */
    public static boolean inUse(Path directory) throws IOException {
        Path file = directory.resolve(LOCK_FILE);
        if (!Files.exists(file)) {
            return false;
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            FileLock probe = channel.tryLock();
            if (probe == null) {
                return true;
            }
            probe.release();
            return false;
        } catch (java.nio.channels.OverlappingFileLockException e) {
            return true; // held by this very process (a test running server and command together)
        }
    }

    /**
     * Whether the journal holds any record, read from file sizes alone (no lock, no replay): a segment larger
     * than its header has at least the start of one. For a stopped queue, whose records the next start replays.
     */
    public static boolean journalHoldsRecords(Path directory) throws IOException {
        Path journal = directory.resolve("journal");
        if (!Files.isDirectory(journal)) {
            return false;
        }
        try (DirectoryStream<Path> segments = Files.newDirectoryStream(journal, "*.jnl")) {
            for (Path segment : segments) {
                if (Files.size(segment) > Journal.SEGMENT_HEADER && !zerosAfterHeader(segment)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** A segment whose records have not begun: zeros where the first would start (it is written ahead). */
    private static boolean zerosAfterHeader(Path segment) throws IOException {
        try (FileChannel channel = FileChannel.open(segment)) {
            ByteBuffer first = ByteBuffer.allocate(Journal.RECORD_HEADER);
            channel.read(first, Journal.SEGMENT_HEADER);
            return JournalReader.allZeros(first.flip());
        }
    }

    /** The journal segments set aside because of a damaged record. */
    public static List<CorruptSegment> corruptSegments(Path directory) throws IOException {
        return JournalReplay.corruptSegments(directory.resolve("journal"));
    }

    /**
     * Whether messages can be accepted: the journal's writer runs and is not stuck past its deadline (always
     * true without a journal). For a readiness check; when false, sessions answer {@code 451 4.3.0}.
     */
    public boolean journalHealthy() {
        return journal == null || (!closed && journal.healthy());
    }

    /** The shared store messages are committed to, or null: the journal. */
    Acceptance acceptance() {
        return acceptance;
    }

    public Path directory() {
        return directory;
    }

    /** How many journal syncs (one fdatasync per group of records) completed since start; 0 without a journal. */
    public long journalSyncs() {
        return journal == null ? 0 : journal.syncs();
    }

    /** How many records those syncs made durable: divided by {@link #journalSyncs()}, the group commit's size. */
    public long journalRecordsSynced() {
        return journal == null ? 0 : journal.recordsSynced();
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

    public Path stateFile(String id) {
        return directory.resolve(id + ".state");
    }

    /** The ids of every message with an envelope in the queue directory, oldest first (ids sort by time). */
    public List<String> storedIds() throws IOException {
        List<String> ids = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory, "*.env")) {
            for (Path file : stream) {
                String name = file.getFileName().toString();
                ids.add(name.substring(0, name.length() - ".env".length()));
            }
        }
        ids.sort(null);
        return ids;
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
                fsyncFiles(h.id);
            }
        }
    }

    /**
     * Records what the queue did with a message (an opaque document for the spool). The {@code .state} file is
     * replaced at once, without a sync, for readers such as {@code posthorn queue}; the journal record is the
     * durable copy, and the future completes when it is synced. Calls for one message must not overlap.
     */
    public CompletableFuture<Void> writeState(String id, byte[] state) {
        try {
            materialize(id);
            Path temporary = directory.resolve(id + ".state.tmp");
            if (journal == null) {
                writeFile(temporary, state, true);
                Files.move(temporary, stateFile(id), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                directorySync.sync();
                return CompletableFuture.completedFuture(null);
            }
            // File first, then the record: a checkpoint that retires the record's segment must find the file
            // marked unsynced, or it could drop the record before the file's content reached the disk.
            writeFile(temporary, state, false);
            Files.move(temporary, stateFile(id), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            unsyncedFiles.add(id);
            return journal.appendState(id, state).thenApply(segment -> null);
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Removes a message for good (delivered, bounced or deleted): a tombstone, and once it is durable the files,
     * envelope first (a crash in between leaves only an orphan .msg). The future completes when the files are
     * gone; the tombstone's segment is not retired before.
     */
    public CompletableFuture<Void> remove(String id) {
        if (journal == null) {
            try {
                deleteFiles(id);
                directorySync.sync();
                return CompletableFuture.completedFuture(null);
            } catch (IOException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        CompletableFuture<Journal.Segment> tombstone;
        try {
            tombstone = journal.appendRemoved(id);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
        Held h = held.remove(id);
        boolean noFiles = h != null && release(h);
        CompletableFuture<Void> gone = new CompletableFuture<>();
        tombstone.whenComplete((segment, error) -> {
            if (error != null) {
                gone.completeExceptionally(error);
            } else if (noFiles) {
                // Delivered from memory and never written out (a state write or a checkpoint would have written
                // its files first, and REMOVED now stops both): nothing to unlink. Most messages end this way, and
                // three unlinks of absent files plus a hand-off to the unlink thread cost 5% of the CPU (issue 15).
                segment.pendingUnlinks.decrementAndGet();
                gone.complete(null);
            } else {
                unlinker.execute(() -> unlink(id, segment, gone));
            }
        });
        return gone;
    }

    /**
     * Marks a held message removed, so that no checkpoint or state write gives it files from now on; true when it
     * never had any (it was still only in memory).
     */
    private boolean release(Held h) {
        synchronized (h) {
            boolean neverWritten = h.state == Held.HELD;
            if (neverWritten) {
                heldBytes.addAndGet(-h.size);
                h.segment.held.decrementAndGet();
                h.content = null;
            }
            h.state = Held.REMOVED;
            return neverWritten;
        }
    }

    /** Deletes the files; until that works the segment with the tombstone stays (a replay must not revive them). */
    private void unlink(String id, Journal.Segment segment, CompletableFuture<Void> gone) {
        try {
            deleteFiles(id);
            segment.pendingUnlinks.decrementAndGet();
            gone.complete(null);
        } catch (IOException | RuntimeException e) {
            LOG.error("spool: cannot delete the files of removed message {} ({}); trying again in a second", id,
                    e.toString());
            if (!unlinker.isShutdown()) {
                unlinker.schedule(() -> unlink(id, segment, gone), 1, TimeUnit.SECONDS);
            }
        }
    }

    private void deleteFiles(String id) throws IOException {
        Files.deleteIfExists(envelopeFile(id));
        Files.deleteIfExists(messageFile(id));
        Files.deleteIfExists(stateFile(id));
    }

    /**
     * A .msg or .state without its .env never got a 250 (the session died first) or belongs to a message removed
     * just before a crash; a .tmp is a write that did not finish. None may be delivered.
     */
    private void removeOrphans() throws IOException {
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory, "*.{msg,tmp,state}")) {
            for (Path file : stream) {
                String name = file.getFileName().toString();
                String id = name.substring(0, name.indexOf('.'));
                if (name.endsWith(".tmp") || !Files.exists(envelopeFile(id))) {
                    Files.deleteIfExists(file);
                    LOG.info("spool recovery: removed unacknowledged {}", name);
                }
            }
        }
    }

    /** Syncs what the journal holds into the files and stops the checkpoints. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (journal != null) {
                // Never interrupt: an interrupted thread in file I/O closes the channel it was using.
                LockSupport.unpark(checkpointer);
                checkpointer.join(30_000);
                LOG.info("spool closed: {}", journal.statistics());
                journal.close();
                closeUnretired();
            }
        } catch (IOException e) {
            LOG.warn("spool close: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            unlinker.shutdown();
            releaseLock();
        }
    }

    /** The channels of segments whose seal never succeeded; the files stay and the next start replays them. */
    private synchronized void closeUnretired() {
        for (Journal.Segment segment : sealed) {
            if (!segment.closed) {
                try {
                    segment.channel.close();
                } catch (IOException e) {
                    LOG.warn("spool close: {}: {}", segment.file.getFileName(), e.toString());
                }
            }
        }
    }

    private void releaseLock() {
        try {
            lockChannel.close(); // releases the lock too
        } catch (IOException e) {
            LOG.warn("spool: cannot release {}: {}", LOCK_FILE, e.toString());
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

    /** Tests: stop as a killed process would, leaving the journal as the only durable copy. */
    void simulateCrash() throws InterruptedException, IOException {
        crashed = true;
        closed = true;
        LockSupport.unpark(checkpointer);
        checkpointer.join();
        journal.crash();
        unlinker.shutdownNow();
        releaseLock();
    }

    /**
     * Retires journal segments. A sealed segment is dropped only after (1) its records are written and synced,
     * (2) every message in it was either held or written out, (3) the files of those still queued are written
     * (for held ones) and synced, (4) the files of messages removed by its tombstones are unlinked, (5) the
     * directory is synced, so names, renames and unlinks are durable, and (6) every record appended so far is
     * synced (a later tombstone or state of a message of this segment is not lost with it).
     */
    synchronized void checkpoint(boolean all) throws IOException {
        Journal.Segment segment = journal.sealIfDue(all ? 0 : SEGMENT_MAX_AGE_NANOS);
        if (segment != null) {
            // On the list before its seal is awaited: a seal that fails is tried again at the next checkpoint,
            // and nothing after it is retired before it is (a segment left on disk would be replayed first).
            sealed.add(segment);
        }
        sealed.addAll(journal.takeAbandoned());
        while (!sealed.isEmpty()) {
            Journal.Segment next = sealed.peek();
            journal.closeSealed(next);
            if (!settled(next)) {
                return;
            }
            if (!all && next.held.get() > 0 && System.nanoTime() - next.createdNanos < RETIRE_GRACE_NANOS) {
                return; // its messages are being delivered from memory; look again at the next checkpoint
            }
            for (String id : next.messageIds) {
                Held h = held.get(id);
                if (h != null) {
                    materialize(h, true);
                } else if (unsyncedFiles.remove(id)) {
                    fsyncFiles(id);
                }
                // Else it was removed (its tombstone is synced below) or its files were synced already.
            }
            GroupSync.fsyncDirectory(directory);
            journal.syncAll();
            Files.deleteIfExists(next.file);
            sealed.poll();
        }
    }

    /** Waits a little for the segment's records to be materialized and its removals unlinked. */
    private static boolean settled(Journal.Segment segment) {
        long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (segment.unmaterialized.get() > 0 || segment.pendingUnlinks.get() > 0) {
            if (System.nanoTime() > waitUntil) {
                return false;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        return true;
    }

    private void fsyncFiles(String id) throws IOException {
        fsyncIfPresent(messageFile(id));
        fsyncIfPresent(envelopeFile(id));
        fsyncIfPresent(stateFile(id));
    }

    private static void fsyncIfPresent(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            channel.force(false);
        } catch (NoSuchFileException removedMeanwhile) {
            // Removed while we looked (its tombstone is durable) or never had one (no state yet).
        }
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
            ByteBuffer[] copies = new ByteBuffer[buffers.length];
            for (int i = 0; i < buffers.length; i++) {
                copies[i] = buffers[i].duplicate();
            }
            while (remaining > 0) {
                remaining -= channel.write(copies);
            }
            if (sync) {
                channel.force(false);
            }
        }
    }
}
