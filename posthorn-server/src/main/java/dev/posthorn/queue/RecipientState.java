package dev.posthorn.queue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** The persisted state of one remote recipient (part of {@code <id>.state}). Guarded by its message's lock. */
public final class RecipientState {
    public String address;
    public RecipientStatus status = RecipientStatus.QUEUED;
    public Instant nextAttempt;
    public boolean delayNoticeSent;
    public List<Attempt> attempts = new ArrayList<>();

    public RecipientState() {
    }

    public RecipientState(String address, Instant nextAttempt) {
        this.address = address;
        this.nextAttempt = nextAttempt;
    }

    public Attempt lastAttempt() {
        return attempts.isEmpty() ? null : attempts.get(attempts.size() - 1);
    }
}
