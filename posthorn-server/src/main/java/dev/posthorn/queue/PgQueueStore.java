package dev.posthorn.queue;

import dev.posthorn.delivery.target.MessageContent;
import dev.posthorn.spool.Acceptance;
import dev.posthorn.spool.Envelope;
import dev.posthorn.spool.EnvelopeCodec;
import dev.posthorn.spool.StoreUnavailableException;
import dev.posthorn.store.StoreException;
import dev.posthorn.store.pg.PgDatabase;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Array;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The queue in PostgreSQL, shared by every node (docs/scaling.md): a message is a row of {@code queue_messages}
 * (envelope, state JSON, due time, lease) and its content rows in {@code queue_content}. As the {@link Acceptance}
 * of the spool it commits a message before the session answers {@code 250}. A claim is a lease: the claiming
 * UPDATE takes due, unheld, unleased rows with {@code FOR UPDATE SKIP LOCKED} (so two nodes never claim the same
 * row), writes this node's id, an expiry and a new lease sequence; every later write of this node is guarded by
 * owner and sequence, so a node whose lease expired and was taken over cannot overwrite the new owner. Leases
 * of messages being delivered are renewed every third of the lease; a node that dies stops renewing, and
 * once its leases expire any other node claims those messages. Work from other nodes is found by polling.
 *
 * <p>Only the messages this node holds a lease on are in memory ({@link #messages}); the rest of the queue is
 * read with SQL (posthorn queue list), by any node or host.
 */
public final class PgQueueStore implements QueueStore, Acceptance {

    private static final Logger LOG = LoggerFactory.getLogger(PgQueueStore.class);
    /**
     * Written beside the node's spool while its queue is in PostgreSQL: {@code posthorn queue} run on the data
     * directory without {@code --config} says to give it, rather than list the spool's (empty) files.
     */
    public static final String MARKER = "queue-in-postgresql";
    /** Content rows of at most 256 KiB: bounded memory on both sides, and most mail is one row. */
    static final int CHUNK = 256 * 1024;

    private final PgDatabase db;
    private final String node;
    private final Clock clock;
    private final Duration lease;
    private final Duration poll;
    private final Path cacheDir;
    /** Messages this node holds a lease on: claimed by the scheduler, or waiting for the sweep to save them. */
    private final ConcurrentHashMap<String, QueuedMessage> leased = new ConcurrentHashMap<>();
    /** Messages whose last save failed: their lease is kept (and renewed) until a save succeeds. */
    private final Set<String> saveFailed = ConcurrentHashMap.newKeySet();
    private volatile boolean lastClaimFull;
    private volatile Runnable onDue = () -> { };
    private volatile boolean running;
    private Thread renewer;

    /**
     * @param lease    how long a claim lasts without renewal; renewed every third of it while held
     * @param poll     how often the database is asked for work (other nodes' messages, retries that fell due)
     * @param cacheDir where content is materialised as a file while this node delivers it
     */
    public PgQueueStore(PgDatabase db, Clock clock, Duration lease, Duration poll, Path cacheDir) {
        this.db = db;
        this.node = db.nodeId();
        this.clock = clock;
        this.lease = lease;
        this.poll = poll;
        this.cacheDir = cacheDir;
    }

    /**
     * Ends the claims an earlier run of this node left (only this node's: another node's leases are its own
     * business until they expire), empties the content cache and starts renewing leases.
     */
    public void open() throws IOException {
        Files.createDirectories(cacheDir);
        try (var files = Files.list(cacheDir)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
        }
        Files.writeString(cacheDir.resolveSibling(MARKER), "This node's queue is in PostgreSQL ([store] kind ="
                + " \"postgresql\"): run posthorn queue with --config <posthorn.toml>.\n");
        int ended = endOwnLeases();
        if (ended > 0) {
            LOG.info("queue: {} claim(s) of an earlier run of node {} ended; their messages are due again", ended, node);
        }
        running = true;
        renewer = Thread.ofPlatform().daemon().name("queue-lease-renewer").start(this::renewLoop);
    }

    /** Expires (does not clear) the owner, so the next claim knows an attempt may have been under way. */
    private int endOwnLeases() {
        return db.read(c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "UPDATE queue_messages SET lease_until = now() WHERE lease_owner = ? AND lease_until > now()")) {
                s.setString(1, node);
                return s.executeUpdate();
            }
        });
    }

    // ---- acceptance: before the 250 ----

    @Override
    public void accept(Envelope parsed, byte[] envelope, InputStream content, long size) throws IOException {
        int chunks = (int) ((size + CHUNK - 1) / CHUNK);
        try {
            db.transaction(c -> {
                try (PreparedStatement m = c.prepareStatement("INSERT INTO queue_messages (id, received_at, accepted_by,"
                        + " envelope, size, chunks, next_due) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                    m.setString(1, parsed.id());
                    m.setObject(2, timestamp(parsed.receivedAt()));
                    m.setString(3, node);
                    m.setString(4, new String(envelope, StandardCharsets.UTF_8));
                    m.setLong(5, size);
                    m.setInt(6, chunks);
                    m.setObject(7, timestamp(clock.instant()));
                    m.executeUpdate();
                }
                try (PreparedStatement s = c.prepareStatement(
                        "INSERT INTO queue_content (message_id, seq, chunk) VALUES (?, ?, ?)")) {
                    byte[] buffer = new byte[(int) Math.min(CHUNK, Math.max(size, 1))];
                    for (int seq = 0; seq < chunks; seq++) {
                        int want = (int) Math.min(buffer.length, size - (long) seq * CHUNK);
                        int n = content.readNBytes(buffer, 0, want);
                        if (n != want) {
                            throw new IOException("content shorter than its size " + size);
                        }
                        s.setString(1, parsed.id());
                        s.setInt(2, seq);
                        s.setBytes(3, n == buffer.length ? buffer : Arrays.copyOf(buffer, n));
                        s.executeUpdate();
                    }
                    if (content.read() != -1) {
                        throw new IOException("content longer than its size " + size);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return null;
            });
        } catch (StoreException e) { // its cause says what the database said
            if (committedAfterAll(parsed, size)) {
                LOG.warn("queue id={}: the database's answer to its commit was lost ({}), but the message is in the "
                        + "queue: accepted", parsed.id(), e.getMessage());
                return;
            }
            throw new StoreUnavailableException(e.getMessage(), e.getCause());
        } catch (UncheckedIOException e) { // the content, not the database
            throw e.getCause();
        }
    }

    /**
     * A commit whose answer was lost (the connection broke after COMMIT was sent) may have committed: answering
     * 451 then makes the client send the message again, and it is delivered twice. So a failed acceptance asks,
     * on another connection, whether the row is there (ids are unique: only this acceptance can have written
     * it). When the question fails too, the failure stands (451: at worst a duplicate, never a loss).
     */
    private boolean committedAfterAll(Envelope parsed, long size) {
        try {
            return db.read(c -> {
                try (PreparedStatement s = c.prepareStatement(
                        "SELECT 1 FROM queue_messages WHERE id = ? AND accepted_by = ? AND size = ?")) {
                    s.setString(1, parsed.id());
                    s.setString(2, node);
                    s.setLong(3, size);
                    try (ResultSet r = s.executeQuery()) {
                        return r.next();
                    }
                }
            });
        } catch (StoreException again) {
            return false;
        }
    }

    // ---- the queue ----

    @Override
    public QueuedMessage add(Envelope envelope) {
        // Already a row, due now: whichever node polls first claims it; this one looks at once.
        onDue.run();
        return new QueuedMessage(envelope, MessageState.fresh(envelope, clock.instant()), false);
    }

    /**
     * The claim, parameters (due limit, how many, node, lease seconds). The CTE picks the due rows through the
     * {@code queue_messages_claim} index (V4: next_due of unheld rows) and locks them, skipping those another
     * node is claiming; the UPDATE then finds its rows by primary key ({@code id = ANY(...)}): a join of the
     * UPDATE with the CTE alone let the planner scan the whole table for its outer side, O(queue) per claim
     * (docs/scaling.md, "The claim's plan"). The CTE is read twice, so PostgreSQL runs it once (materialised):
     * one set of locked rows. The previous lease owner and retry flag come from the CTE, which saw them before
     * the update.
     */
    static final String CLAIM = """
            WITH due AS (
                SELECT id, lease_owner AS previous, retry_requested AS retry FROM queue_messages
                WHERE next_due <= ? AND NOT held AND (lease_until IS NULL OR lease_until < now())
                ORDER BY next_due LIMIT ? FOR UPDATE SKIP LOCKED)
            UPDATE queue_messages q
            SET lease_owner = ?, lease_until = now() + make_interval(secs => ?), lease_seq = q.lease_seq + 1,
                retry_requested = false
            FROM due d
            WHERE q.id = ANY (ARRAY(SELECT id FROM due)) AND q.id = d.id
            RETURNING q.id, q.envelope, q.state, q.held, q.lease_seq, d.previous, d.retry""";

    @Override
    public List<QueuedMessage> claimDue(Instant now, int max) {
        record Row(String id, String envelope, String state, boolean held, long seq, boolean wasLeased, boolean retry) {
        }
        long claimedAt = System.nanoTime();
        List<Row> rows = db.read(c -> {
            try (PreparedStatement s = c.prepareStatement(CLAIM)) {
                s.setObject(1, timestamp(now));
                s.setInt(2, max);
                s.setString(3, node);
                s.setDouble(4, lease.toMillis() / 1000.0);
                List<Row> out = new ArrayList<>();
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        out.add(new Row(r.getString(1), r.getString(2), r.getString(3), r.getBoolean(4), r.getLong(5),
                                r.getString(6) != null, r.getBoolean(7)));
                    }
                }
                return out;
            }
        });
        lastClaimFull = rows.size() >= max;
        List<QueuedMessage> claimed = new ArrayList<>();
        for (Row row : rows) {
            QueuedMessage message;
            try {
                Envelope envelope = EnvelopeCodec.decode(row.envelope().getBytes(StandardCharsets.UTF_8));
                MessageState state = row.state() == null ? MessageState.fresh(envelope, now)
                        : MessageState.reconcile(StateFile.decode(row.state().getBytes(StandardCharsets.UTF_8)),
                                envelope, now);
                state.held = row.held();
                boolean recovered = row.wasLeased();
                for (RecipientState r : state.recipients) {
                    if (r.status == RecipientStatus.IN_FLIGHT) {
                        // Being attempted by a node that stopped before recording it: due again (at least once).
                        r.status = r.attempts.isEmpty() ? RecipientStatus.QUEUED : RecipientStatus.DEFERRED;
                        r.nextAttempt = now;
                        recovered = true;
                    } else if (row.retry() && r.status.waiting()) {
                        r.nextAttempt = now; // posthorn queue retry
                    }
                }
                message = new QueuedMessage(envelope, state, recovered, row.seq());
            } catch (IOException | RuntimeException e) {
                setAside(row.id(), row.seq(), e);
                continue;
            }
            message.claimed = true;
            message.confirmedNanos = claimedAt;
            leased.put(message.id(), message);
            claimed.add(message);
        }
        return claimed;
    }

    /** An envelope or state that cannot be read: held (never claimed again) until an operator looks. */
    private void setAside(String id, long seq, Exception why) {
        LOG.error("queue id={} SET ASIDE (held): its row cannot be read: {}; it is not delivered until an operator "
                + "repairs or deletes it", id, why.toString());
        try {
            db.read(c -> {
                try (PreparedStatement s = c.prepareStatement("UPDATE queue_messages SET held = true, lease_owner = NULL,"
                        + " lease_until = NULL WHERE id = ? AND lease_owner = ? AND lease_seq = ?")) {
                    s.setString(1, id);
                    s.setString(2, node);
                    s.setLong(3, seq);
                    return s.executeUpdate();
                }
            });
        } catch (StoreException e) {
            LOG.error("queue id={}: could not hold it: {}; its lease expires", id, e.getMessage());
        }
    }

    @Override
    public Instant nextDue() {
        // Other nodes add work the database does not announce: look again after the poll interval.
        Instant now = clock.instant();
        return lastClaimFull ? now : now.plus(poll);
    }

    @Override
    public void onDue(Runnable listener) {
        this.onDue = listener;
    }

    @Override
    public CompletableFuture<Void> save(QueuedMessage message) {
        String json = new String(StateFile.encode(message.state()), StandardCharsets.UTF_8);
        Instant next = dueOf(message.state());
        // An unclaimed message is saved by the sweep: with nothing left for it to do, the lease goes too.
        boolean letGo = !message.claimed && !message.state().noticePending();
        int updated;
        try {
            updated = db.read(c -> {
                try (PreparedStatement s = c.prepareStatement("UPDATE queue_messages SET state = ?,"
                        + " next_due = CASE WHEN retry_requested THEN now() ELSE ? END"
                        + (letGo ? ", lease_owner = NULL, lease_until = NULL" : "")
                        + " WHERE id = ? AND lease_owner = ? AND lease_seq = ?")) {
                    s.setString(1, json);
                    s.setObject(2, next == null ? null : timestamp(next));
                    s.setString(3, message.id());
                    s.setString(4, node);
                    s.setLong(5, message.leaseSeq);
                    return s.executeUpdate();
                }
            });
        } catch (StoreException e) {
            saveFailed.add(message.id());
            return CompletableFuture.failedFuture(e);
        }
        saveFailed.remove(message.id());
        if (updated == 0) {
            return CompletableFuture.failedFuture(leaseLost(message));
        }
        if (letGo) {
            forget(message);
        }
        return CompletableFuture.completedFuture(null);
    }

    /**
     * When the row must be claimable again once no lease holds it: the earliest next attempt, or now while a
     * recipient is in flight (saved mid-claim, a destination still attempting) or a notice is not queued yet (a
     * bounce whose submission failed; the sweep of this node sends it): should this node die before it is done,
     * the next claimant must find the row due, else that recipient would wait, or its sender never be told,
     * forever. Never NULL while something is left to do: the claim matches {@code next_due <= now} only. The lease
     * keeps other nodes off it while this node is alive.
     */
    private Instant dueOf(MessageState state) {
        Instant next = state.earliestAttempt();
        if (state.noticePending() || state.recipients.stream().anyMatch(r -> r.status == RecipientStatus.IN_FLIGHT)) {
            Instant now = clock.instant();
            return next == null || now.isBefore(next) ? now : next;
        }
        return next;
    }

    /** The row is gone or another node claimed it since (this lease expired): this node's outcome is dropped. */
    private IllegalStateException leaseLost(QueuedMessage message) {
        forget(message);
        LOG.warn("queue id={}: this node's claim is gone (the lease expired and another node claimed it, or an operator "
                + "deleted the message); its outcome here is not recorded", message.id());
        return new IllegalStateException("claim of " + message.id() + " lost");
    }

    private void forget(QueuedMessage message) {
        leased.remove(message.id(), message);
        try {
            Files.deleteIfExists(cacheFile(message.id()));
        } catch (IOException e) {
            LOG.warn("queue id={}: cannot remove its cached content: {}", message.id(), e.toString());
        }
    }

    @Override
    public void release(QueuedMessage message) {
        Instant next;
        synchronized (message) {
            message.claimed = false;
            if (message.finishing || message.dirty || message.state().noticePending()
                    || saveFailed.contains(message.id())) {
                return; // the sweep saves it and lets the lease go then; renewed meanwhile
            }
            next = dueOf(message.state());
        }
        try {
            db.read(c -> {
                try (PreparedStatement s = c.prepareStatement("UPDATE queue_messages SET lease_owner = NULL,"
                        + " lease_until = NULL, next_due = CASE WHEN retry_requested THEN now() ELSE ? END"
                        + " WHERE id = ? AND lease_owner = ? AND lease_seq = ?")) {
                    s.setObject(1, next == null ? null : timestamp(next));
                    s.setString(2, message.id());
                    s.setString(3, node);
                    s.setLong(4, message.leaseSeq);
                    return s.executeUpdate();
                }
            });
        } catch (StoreException e) {
            // Its state is saved; the lease simply expires and the message is claimed again then.
            LOG.warn("queue id={}: cannot end this node's claim ({}); it ends when the lease expires", message.id(),
                    e.getMessage());
        }
        forget(message);
    }

    @Override
    public void reschedule(QueuedMessage message) {
        // Operators change the queue with SQL (posthorn queue ... on a PostgreSQL store); the next claim reads it.
    }

    @Override
    public CompletableFuture<Void> finish(QueuedMessage message) {
        message.finishing = true;
        message.dueAt = null;
        int deleted;
        try {
            deleted = db.read(c -> {
                try (PreparedStatement s = c.prepareStatement(
                        "DELETE FROM queue_messages WHERE id = ? AND lease_owner = ? AND lease_seq = ?")) {
                    s.setString(1, message.id());
                    s.setString(2, node);
                    s.setLong(3, message.leaseSeq);
                    int n = s.executeUpdate();
                    if (n > 0) {
                        return n;
                    }
                }
                try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM queue_messages WHERE id = ?")) {
                    s.setString(1, message.id());
                    try (ResultSet r = s.executeQuery()) {
                        return r.next() ? 0 : 1; // gone already: an operator deleted it
                    }
                }
            });
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (deleted == 0) {
            return CompletableFuture.failedFuture(leaseLost(message));
        }
        forget(message);
        return CompletableFuture.completedFuture(null);
    }

    // ---- content ----

    private Path cacheFile(String id) {
        return cacheDir.resolve(id + ".msg");
    }

    @Override
    public MessageContent content(String id) {
        return new MessageContent() {
            @Override
            public InputStream open() throws IOException {
                return Files.newInputStream(file());
            }

            @Override
            public Path file() throws IOException {
                Path f = cacheFile(id);
                if (!Files.exists(f)) {
                    materialize(id, f);
                }
                return f;
            }

            @Override
            public long size() {
                QueuedMessage m = leased.get(id);
                return m != null ? m.envelope().size() : 0;
            }
        };
    }

    /** Streams the content rows into a file (bounded memory), checked against the row count the message says. */
    private void materialize(String id, Path target) throws IOException {
        Path temporary = Files.createTempFile(Files.createDirectories(cacheDir), id, ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(temporary)) {
                db.transaction(c -> {
                    int expected;
                    try (PreparedStatement s = c.prepareStatement("SELECT chunks FROM queue_messages WHERE id = ?")) {
                        s.setString(1, id);
                        try (ResultSet r = s.executeQuery()) {
                            if (!r.next()) {
                                throw new SQLException("message " + id + " is no longer in the queue");
                            }
                            expected = r.getInt(1);
                        }
                    }
                    int seen = 0;
                    try (PreparedStatement s = c.prepareStatement(
                            "SELECT seq, chunk FROM queue_content WHERE message_id = ? ORDER BY seq")) {
                        s.setFetchSize(1); // one chunk in memory at a time (a cursor: needs the transaction)
                        s.setString(1, id);
                        try (ResultSet r = s.executeQuery()) {
                            while (r.next()) {
                                if (r.getInt(1) != seen) {
                                    throw new SQLException("message " + id + ": content chunk " + seen + " missing");
                                }
                                out.write(r.getBytes(2));
                                seen++;
                            }
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    if (seen != expected) {
                        throw new SQLException("message " + id + ": " + seen + " content chunks of " + expected);
                    }
                    return null;
                });
            }
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (StoreException e) {
            // The database cannot be reached or failed: typed, so a notice waiting for this original does not count
            // the outage towards giving up (Notices).
            throw new StoreUnavailableException(e.getMessage(), e.getCause());
        } catch (UncheckedIOException e) {
            throw e.getCause();
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    // ---- what this node holds ----

    @Override
    public List<QueuedMessage> messages() {
        List<QueuedMessage> all = new ArrayList<>(leased.values());
        all.sort(Comparator.comparing(QueuedMessage::id));
        return all;
    }

    @Override
    public QueuedMessage get(String id) {
        return leased.get(id);
    }

    @Override
    public boolean setAside(String id) {
        return false; // an unreadable row is held instead, and listed by posthorn queue list
    }

    @Override
    public CompletableFuture<Void> deleteSetAside(String id) {
        return CompletableFuture.failedFuture(new IllegalArgumentException(id + " is not set aside"));
    }

    /** Ids of the messages this node holds a lease on (for tests and the log). */
    public Set<String> leasedIds() {
        return new HashSet<>(leased.keySet());
    }

    /**
     * Every third of the lease; after a failure every second (at most), until it works again. A lease this node
     * could not confirm for all but a third of its length is marked lost: no new attempt of it starts here, since
     * another node may claim it once it expires (an attempt already under way cannot be taken back).
     */
    private void renewLoop() {
        long every = Math.max(100, lease.toMillis() / 3);
        long retry = Math.min(1000, every);
        boolean failing = false;
        while (running) {
            try {
                Thread.sleep(failing ? retry : every);
            } catch (InterruptedException e) {
                return;
            }
            try {
                renew();
                failing = false;
            } catch (RuntimeException e) {
                failing = true;
                LOG.error("queue: renewing this node's leases failed: {}; trying again in {} ms", e.getMessage(), retry);
                markUnconfirmed(lease.toNanos() - TimeUnit.MILLISECONDS.toNanos(every));
            }
        }
    }

    /** Marks lost the leases not confirmed for longer than {@code limit} nanoseconds. */
    private void markUnconfirmed(long limit) {
        long now = System.nanoTime();
        for (QueuedMessage m : leased.values()) {
            if (!m.leaseLost && now - m.confirmedNanos > limit) {
                m.leaseLost = true;
                LOG.warn("queue id={}: this node could not renew its lease in time; no new attempt of it starts here "
                        + "(another node may claim it once the lease expires)", m.id());
            }
        }
    }

    /** Pushes the expiry of every lease this node holds; says which it lost, and which an operator held. */
    void renew() {
        List<QueuedMessage> held = List.copyOf(leased.values());
        if (held.isEmpty()) {
            return;
        }
        long started = System.nanoTime();
        Map<String, Boolean> kept = db.renewal(c -> {
            Array ids = c.createArrayOf("text", held.stream().map(QueuedMessage::id).toArray());
            Array seqs = c.createArrayOf("bigint", held.stream().map(m -> m.leaseSeq).toArray());
            try (PreparedStatement s = c.prepareStatement("""
                    UPDATE queue_messages q SET lease_until = now() + make_interval(secs => ?)
                    FROM unnest(?::text[], ?::bigint[]) AS h(id, seq)
                    WHERE q.id = h.id AND q.lease_seq = h.seq AND q.lease_owner = ?
                    RETURNING q.id, q.held""")) {
                s.setDouble(1, lease.toMillis() / 1000.0);
                s.setArray(2, ids);
                s.setArray(3, seqs);
                s.setString(4, node);
                Map<String, Boolean> out = new HashMap<>();
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        out.put(r.getString(1), r.getBoolean(2));
                    }
                }
                return out;
            }
        });
        for (QueuedMessage m : held) {
            if (kept.containsKey(m.id())) {
                m.confirmedNanos = started;
                // posthorn queue hold writes the row only: a claimed message whose jobs still wait in a lane learns
                // it here, and Scheduler.run gives those jobs back instead of attempting them.
                synchronized (m) {
                    m.state().held = kept.get(m.id());
                }
            } else if (!m.leaseLost && leased.get(m.id()) == m) {
                m.leaseLost = true;
                LOG.warn("queue id={}: lease lost while held by this node (expired and claimed elsewhere, or deleted)",
                        m.id());
            }
        }
    }

    /**
     * Before each attempt: one SELECT by primary key. {@code posthorn queue hold|delete} (or the console) on any node
     * changes the row only; without this a job already waiting in a lane here would still be attempted until the
     * next renewal (a third of the lease) told this node. What is left is an attempt already under way.
     */
    @Override
    public void recheck(QueuedMessage message) {
        Boolean held;
        try {
            held = db.read(c -> {
                try (PreparedStatement s = c.prepareStatement(
                        "SELECT held FROM queue_messages WHERE id = ? AND lease_owner = ? AND lease_seq = ?")) {
                    s.setString(1, message.id());
                    s.setString(2, node);
                    s.setLong(3, message.leaseSeq);
                    try (ResultSet r = s.executeQuery()) {
                        return r.next() ? r.getBoolean(1) : null;
                    }
                }
            });
        } catch (StoreException e) {
            // The lease stands (renewals say otherwise): the attempt goes on, as it would have without this check.
            LOG.warn("queue id={}: cannot re-check its row before the attempt ({}); attempting it", message.id(),
                    e.getMessage());
            return;
        }
        changedByOperator(message, held == null);
        if (held != null && held) {
            synchronized (message) {
                message.state().held = true;
            }
        }
    }

    /**
     * An operator on this node just held ({@code deleted} false) or deleted the row of a message this node has
     * claimed: its jobs still waiting here are given back instead of attempted, at once rather than at the next
     * renewal. A deleted one is as a lost lease: no attempt of it starts here again.
     */
    public void operatorChanged(String id, boolean deleted) {
        QueuedMessage message = leased.get(id);
        if (message == null) {
            return;
        }
        if (!deleted) {
            synchronized (message) {
                message.state().held = true;
            }
        }
        changedByOperator(message, deleted);
    }

    private void changedByOperator(QueuedMessage message, boolean gone) {
        if (gone && !message.leaseLost) {
            message.leaseLost = true;
            LOG.info("queue id={}: its row is gone or no longer this node's claim (deleted by an operator, or the lease "
                    + "taken over): no attempt of it starts here", message.id());
        }
    }

    private static OffsetDateTime timestamp(Instant at) {
        return at.atOffset(ZoneOffset.UTC);
    }

    @Override
    public void close() {
        running = false;
        if (renewer != null) {
            renewer.interrupt();
            try {
                renewer.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            // What this node still holds is free for the others at once, rather than when its lease expires.
            endOwnLeases();
        } catch (StoreException e) {
            LOG.warn("queue: cannot end this node's claims at shutdown ({}); they end when their leases expire",
                    e.getMessage());
        }
    }
}
