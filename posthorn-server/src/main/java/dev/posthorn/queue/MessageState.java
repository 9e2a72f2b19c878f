package dev.posthorn.queue;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code <data>/queue/<id>.state}: per-recipient delivery state of a message's remote recipients, replaced
 * atomically after every attempt (temp file, fsync, rename, fsync of the directory).
 */
public final class MessageState {
    public String id;
    public List<RecipientState> recipients = new ArrayList<>();

    public MessageState() {
    }

    public MessageState(String id) {
        this.id = id;
    }

    public RecipientState recipient(String address) {
        for (RecipientState r : recipients) {
            if (r.address.equalsIgnoreCase(address)) {
                return r;
            }
        }
        return null;
    }

    public boolean allDone() {
        return recipients.stream().allMatch(r -> r.status.done());
    }
}
