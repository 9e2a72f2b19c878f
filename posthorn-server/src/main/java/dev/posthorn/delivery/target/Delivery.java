package dev.posthorn.delivery.target;

import dev.posthorn.delivery.remote.Outcome;
import java.util.List;

/**
 * One message on its way to some of its recipients through one target: a transaction, as maddy's
 * {@code delivery_target} (start, add recipients, body, commit or abort). Nothing is final before
 * {@link #commit}, which returns an outcome per recipient in the order they were added: delivered, deferred
 * (retried later) or failed (bounced), each with the reply that explains it. A target reports every failure
 * as outcomes; it throws only for a bug.
 */
public interface Delivery {

    void addRecipient(TargetRecipient recipient);

    /** Hands over the content; a target may transfer it here or in {@link #commit}. */
    void body(MessageContent content);

    /** Makes the delivery final where it succeeded; one outcome per recipient, in order. */
    List<Outcome> commit();

    /**
     * After its target's {@link DeliveryTarget#flush}: the outcomes that hold, given those {@link #commit}
     * promised. A target that settles each copy on its own turns the "delivered" of a copy it could not make
     * durable into a deferral here; the default (no batching) keeps the promise.
     */
    default List<Outcome> settled(List<Outcome> promised) {
        return promised;
    }

    /** Gives up before {@link #commit}: whatever the target can still undo is undone. */
    void abort();
}
