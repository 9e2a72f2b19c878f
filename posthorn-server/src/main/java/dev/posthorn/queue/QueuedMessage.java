package dev.posthorn.queue;

import dev.posthorn.spool.Envelope;
import java.time.Instant;

/**
 * One message in the queue: its envelope (immutable since the {@code 250}) and its state. The state and the
 * fields below change only under the object's lock ({@code synchronized (message)}), by the scheduler and by
 * operator actions; the {@link QueueStore} persists it when told.
 */
public final class QueuedMessage {

    private final Envelope envelope;
    private final MessageState state;
    /** Found in the queue at start-up: an earlier run may have delivered some of it (idempotent targets check). */
    final boolean recovered;
    /** Claimed by the scheduler: attempts of it are running. */
    boolean claimed;
    /** Attempts of this claim still running (one per destination). */
    int pendingJobs;
    /** Every recipient is final: its tombstone is on its way; nothing may touch it again. */
    boolean finishing;
    /** Its last save or finish failed: the sweep tries again. */
    boolean dirty;
    /** The due time it is indexed at (null: not in the due index), and the token of that index entry. */
    Instant dueAt;
    long dueToken;
    /** In a shared store: the lease sequence of this node's claim (every write of it is guarded by it). */
    long leaseSeq;
    /**
     * In a shared store: when this node last knew its lease was good ({@link System#nanoTime}, taken before the
     * claim or renewal that confirmed it), and whether it could not confirm it before it expires: then no new
     * attempt may start (another node may claim the message and deliver it too).
     */
    volatile long confirmedNanos;
    volatile boolean leaseLost;

    QueuedMessage(Envelope envelope, MessageState state, boolean recovered, long leaseSeq) {
        this(envelope, state, recovered);
        this.leaseSeq = leaseSeq;
    }

    QueuedMessage(Envelope envelope, MessageState state, boolean recovered) {
        this.envelope = envelope;
        this.state = state;
        this.recovered = recovered;
    }

    public Envelope envelope() {
        return envelope;
    }

    public String id() {
        return envelope.id();
    }

    /** The live state: read and change it only while holding this object's lock. */
    public MessageState state() {
        return state;
    }

    /** A copy of the state, for display. */
    public synchronized MessageState snapshot() {
        try {
            return StateFile.decode(StateFile.encode(state));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
