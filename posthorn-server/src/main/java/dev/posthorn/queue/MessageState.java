package dev.posthorn.queue;

import com.fasterxml.jackson.annotation.JsonIgnore;
import dev.posthorn.spool.Envelope;
import dev.posthorn.spool.EnvelopeRecipient;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code <data>/queue/<id>.state}: what the queue has done with each recipient of a message, for every
 * transport, and whether the operator holds the message. Written through the spool's journal after every
 * attempt that leaves something to do (see docs/queue.md); a message without one was never attempted.
 */
public final class MessageState {
    public String id;
    /** Held by the operator ({@code posthorn queue hold}): never attempted until released. */
    public boolean held;
    public List<RecipientState> recipients = new ArrayList<>();

    public MessageState() {
    }

    public MessageState(String id) {
        this.id = id;
    }

    /** The state of a message just accepted: every recipient queued, due at {@code now}. */
    public static MessageState fresh(Envelope envelope, Instant now) {
        MessageState state = new MessageState(envelope.id());
        List<EnvelopeRecipient> rcpts = envelope.recipients();
        for (int i = 0; i < rcpts.size(); i++) {
            state.recipients.add(new RecipientState(rcpts.get(i).address(), i, rcpts.get(i).local(), now));
        }
        return state;
    }

    /**
     * This state matched to its envelope: one entry per envelope recipient, by index. A state written before
     * every recipient had one (a queue from before the one queue, which kept remote recipients only and no
     * index) is matched by address; a recipient it lacks starts queued.
     */
    static MessageState reconcile(MessageState stored, Envelope envelope, Instant now) {
        MessageState state = fresh(envelope, now);
        state.held = stored.held;
        List<RecipientState> unused = new ArrayList<>(stored.recipients);
        for (RecipientState r : state.recipients) {
            RecipientState match = unused.stream().filter(s -> s.index == r.index && s.address.equalsIgnoreCase(r.address))
                    .findFirst().orElse(unused.stream().filter(s -> s.address.equalsIgnoreCase(r.address))
                            .findFirst().orElse(null));
            if (match != null) {
                unused.remove(match);
                match.index = r.index;
                match.local = r.local;
                state.recipients.set(state.recipients.indexOf(r), match);
            }
        }
        return state;
    }

    public RecipientState recipient(String address) {
        for (RecipientState r : recipients) {
            if (r.address.equalsIgnoreCase(address)) {
                return r;
            }
        }
        return null;
    }

    public RecipientState byIndex(int index) {
        for (RecipientState r : recipients) {
            if (r.index == index) {
                return r;
            }
        }
        return null;
    }

    @JsonIgnore
    public boolean allDone() {
        return recipients.stream().allMatch(r -> r.status.done());
    }

    /** Whether a notice still has to be queued for one of the recipients. */
    @JsonIgnore
    public boolean noticePending() {
        return recipients.stream().anyMatch(r -> r.noticePending != null);
    }

    /** The earliest next attempt of a recipient that waits, or null when none does. */
    @JsonIgnore
    public Instant earliestAttempt() {
        Instant earliest = null;
        for (RecipientState r : recipients) {
            if (r.status.waiting() && r.nextAttempt != null && (earliest == null || r.nextAttempt.isBefore(earliest))) {
                earliest = r.nextAttempt;
            }
        }
        return earliest;
    }
}
