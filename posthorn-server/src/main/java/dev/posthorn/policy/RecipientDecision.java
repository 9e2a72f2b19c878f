package dev.posthorn.policy;

import dev.posthorn.codes.Reply;

/** Whether a recipient is accepted, and why not if it is refused. */
public sealed interface RecipientDecision {

    /** A mailbox of a hosted domain: delivered locally. */
    record Local() implements RecipientDecision {
    }

    /** Another domain, allowed to relay (authenticated client): queued for outbound delivery. */
    record Relay() implements RecipientDecision {
    }

    record Refused(Reply reply) implements RecipientDecision {
    }
}
