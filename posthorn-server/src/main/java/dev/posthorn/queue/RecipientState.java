package dev.posthorn.queue;

import dev.posthorn.delivery.dsn.DsnBuilder;
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
    /**
     * A notice this recipient's last attempt calls for that is not queued yet (null: none). Saved with the state,
     * so that a notice the queue could not take at once (a journal hiccup) is sent by the sweep, also after a
     * restart; the message does not finish while one is pending.
     */
    public DsnBuilder.Kind noticePending;
    /** The destination of the last attempt: "maildir", "lmtp:unix:/run/dovecot/lmtp", "route:host:port", "mx:domain". */
    public String destination;
    public List<Attempt> attempts = new ArrayList<>();
    /** Every attempt made, also those no longer in {@link #attempts} (0 in a state from before it was kept). */
    public int attemptCount;

    public RecipientState() {
    }

    public RecipientState(String address, int index, boolean local, Instant nextAttempt) {
        this.address = address;
        this.index = index;
        this.local = local;
        this.nextAttempt = nextAttempt;
    }

    /** Attempts kept besides the first: a state is saved whole after every attempt, so it must stay small. */
    static final int LATEST_ATTEMPTS = 10;
    /** A reply's lines kept per attempt, and characters per line (a server may answer with pages of text). */
    static final int REPLY_LINES = 10;
    static final int LINE_CHARS = 512;

    /**
     * Records an attempt, keeping the first (when the trouble began) and the latest {@link #LATEST_ATTEMPTS}, each
     * reply cut to {@link #REPLY_LINES} lines of {@link #LINE_CHARS}: the saved state has a bound whatever the
     * number of attempts or the size of the replies, so it can always be saved.
     */
    void addAttempt(Attempt attempt) {
        int made = attemptsMade() + 1;
        List<String> lines = new ArrayList<>();
        for (String line : attempt.reply()) {
            if (lines.size() == REPLY_LINES) {
                lines.set(REPLY_LINES - 1, lines.get(REPLY_LINES - 1) + " […]");
                break;
            }
            lines.add(cut(line));
        }
        attempts.add(new Attempt(attempt.at(), attempt.destination(), attempt.remoteHost(), attempt.code(),
                attempt.enhanced(), lines, attempt.explanation() == null ? null : cut(attempt.explanation()),
                attempt.outcome(), attempt.tls() == null ? null : cut(attempt.tls()), attempt.ownReply()));
        attemptCount = made;
        while (attempts.size() > 1 + LATEST_ATTEMPTS) {
            attempts.remove(1);
        }
    }

    /** How many attempts were made: the retry schedule's position, whatever the history kept. */
    public int attemptsMade() {
        return Math.max(attemptCount, attempts.size());
    }

    private static String cut(String s) {
        return s.length() <= LINE_CHARS ? s : s.substring(0, LINE_CHARS) + "[…]";
    }

    public Attempt lastAttempt() {
        return attempts.isEmpty() ? null : attempts.get(attempts.size() - 1);
    }
}
