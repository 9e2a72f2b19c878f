package dev.posthorn.delivery.remote;

import java.util.List;

/**
 * The outcome of one mail transaction: the reply to each RCPT in order and, when at least one recipient was
 * accepted, the reply after the message data. A recipient is delivered when its RCPT reply and the data reply
 * are both positive; otherwise the first negative reply of the two is its fate.
 */
public record TransactionResult(RemoteReply mailReply, List<RemoteReply> rcptReplies, RemoteReply dataReply) {

    public TransactionResult {
        rcptReplies = List.copyOf(rcptReplies);
    }

    /** The reply that decides recipient {@code i}: MAIL's if it failed, else its RCPT's if it failed, else the data reply. */
    public RemoteReply outcome(int i) {
        if (!mailReply.positive()) {
            return mailReply;
        }
        RemoteReply rcpt = rcptReplies.get(i);
        if (!rcpt.positive() || dataReply == null) {
            return rcpt;
        }
        return dataReply;
    }
}
