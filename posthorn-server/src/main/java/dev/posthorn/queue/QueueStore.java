package dev.posthorn.queue;

import dev.posthorn.delivery.target.MessageContent;
import dev.posthorn.spool.Envelope;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where the queue keeps its messages and their per-recipient state, and which of them are due. The contract
 * (docs/queue.md has it in full):
 *
 * <ul>
 *   <li>A message is in the queue once the spool acknowledged it ({@link #add} only indexes it).</li>
 *   <li>{@link #claimDue} hands out messages with a recipient due, each to one claimant at a time; a claim ends
 *       with {@link #release} or {@link #finish}. A claim is not durable: after a crash every recipient that was
 *       in flight is due again (the at-least-once window).</li>
 *   <li>{@link #save} makes the message's state durable; its future completes when it is.</li>
 *   <li>{@link #finish}: every recipient is final (or the operator deleted the message); a durable tombstone
 *       first, then the message's data goes; the future completes when both are done.</li>
 * </ul>
 *
 * <p>Callers change a message's state under its lock and call {@link #save} under the same lock, so that saves
 * of one message are ordered. {@link FileQueueStore} is the implementation on the spool's files and journal.
 */
public interface QueueStore extends AutoCloseable {

    /** A message the spool just made durable: every recipient queued and due now. */
    QueuedMessage add(Envelope envelope);

    /** Messages with a recipient due at {@code now} that are not held, claimed or finishing; now claimed. */
    List<QueuedMessage> claimDue(Instant now, int max);

    /** The earliest time a message may fall due (a hint: the caller looks again then), or null when none waits. */
    Instant nextDue();

    /** Called (on any thread) when a message becomes due earlier than {@link #nextDue} said. */
    void onDue(Runnable listener);

    /** Persists the message's current state; call under the message's lock. */
    CompletableFuture<Void> save(QueuedMessage message);

    /** Ends a claim: the message waits for its earliest next attempt (unless held). */
    void release(QueuedMessage message);

    /**
     * Just before an attempt of a claimed message starts: learns whether an operator held or deleted it elsewhere
     * meanwhile (then {@code state().held} or {@code leaseLost} is set, and the scheduler gives the job back). The
     * files store has nothing to learn: its operator changes the message in memory, under its lock.
     */
    default void recheck(QueuedMessage message) {
    }

    /** Puts an unclaimed message back at its earliest next attempt (after an operator changed it). */
    void reschedule(QueuedMessage message);

    /** Every recipient is final: tombstone, then the data goes. Call under the message's lock. */
    CompletableFuture<Void> finish(QueuedMessage message);

    MessageContent content(String id);

    /** Every message in the queue, oldest first. */
    List<QueuedMessage> messages();

    /** The message, or null when it is not (or no longer) in the queue. */
    QueuedMessage get(String id);

    /** Whether {@code id} is a message set aside (its envelope or state unreadable, see {@link SetAside}). */
    boolean setAside(String id);

    /**
     * Removes a set-aside message for good, as an operator's delete: a tombstone (so a replay cannot bring it back),
     * then its files. The future completes when that is durable.
     */
    CompletableFuture<Void> deleteSetAside(String id);

    @Override
    void close();
}
