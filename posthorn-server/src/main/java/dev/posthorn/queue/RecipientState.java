package dev.posthorn.queue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The persisted state of one recipient (part of {@code <id>.state}), local or remote alike. Guarded by its
 * message's lock.
 */
public final class RecipientState {
    public String address;
    /** Its position in the envelope: with the queue id it names the recipient for good. */
    public int index;
    public boolean local;
    public RecipientStatus status = RecipientStatus.QUEUED;
    public Instant nextAttempt;
    public boolean delayNoticeSent;
    /** The destination of the last attempt: "maildir", "lmtp:unix:/run/dovecot/lmtp", "route:host:port", "mx:domain". */
    public String destination;
    public List<Attempt> attempts = new ArrayList<>();

    public RecipientState() {
    }

    public RecipientState(String address, int index, boolean local, Instant nextAttempt) {
        this.address = address;
        this.index = index;
        this.local = local;
        this.nextAttempt = nextAttempt;
    }

    public Attempt lastAttempt() {
        return attempts.isEmpty() ? null : attempts.get(attempts.size() - 1);
    }
}
