package dev.posthorn.queue;

import dev.posthorn.spool.Envelope;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What {@code posthorn queue list} and {@code show} print, taken from the live {@link QueueStore}: a message
 * accepted a moment ago may exist only in the journal and in memory (its files come at a checkpoint, or when it
 * must wait), so the queue directory alone does not tell. A running server answers it through
 * {@link QueueControl#query}; a stopped queue is read from its files by the command.
 *
 * @param messages the messages, oldest first, at most {@link #MAX_MESSAGES} and {@link #MAX_BYTES}
 * @param total    how many messages the queue holds (more than {@code messages.size()} when capped)
 */
public record QueueView(List<Entry> messages, int total) {

    /**
     * The answer is bounded: a listing stops after this many messages (and says how many it left out). Each
     * message is bounded already (a state keeps the first and the latest attempts only).
     */
    public static final int MAX_MESSAGES = 10_000;

    /**
     * And at most this many octets of entries: a message with many recipients and long replies is tens of
     * kilobytes, so the count alone would let one listing of a large backlog cost the server hundreds of MiB.
     */
    public static final int MAX_BYTES = 8 * 1024 * 1024;

    public static final QueueView EMPTY = new QueueView(List.of(), 0);

    /** What the command asks: one message by id, or (id null) the listing. */
    public record Query(String id) {
    }

    /**
     * One message: its envelope, a copy of its state, and which of its recipients are being attempted now
     * ({@code "id address"}, lower case).
     */
    public record Entry(Envelope envelope, MessageState state, Set<String> inFlight) {
    }

    public static QueueView of(QueueStore store, Set<String> inFlight, Query query) {
        List<String> attempting = List.copyOf(inFlight); // a concurrent set: a consistent enough copy
        if (query.id() != null) {
            QueuedMessage m = store.get(query.id());
            return m == null ? EMPTY : new QueueView(List.of(entry(m, attempting, false)), 1);
        }
        List<QueuedMessage> all = store.messages();
        List<Entry> entries = new ArrayList<>();
        long bytes = 0;
        for (QueuedMessage m : all.subList(0, Math.min(all.size(), MAX_MESSAGES))) {
            Entry entry = entry(m, attempting, true);
            bytes += encodedSize(entry);
            if (bytes > MAX_BYTES) {
                break;
            }
            entries.add(entry);
        }
        return new QueueView(entries, all.size());
    }

    static long encodedSize(Entry entry) {
        try {
            return StateFile.JSON.writeValueAsBytes(entry).length;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("a queue entry cannot be encoded: " + e.getMessage(), e);
        }
    }

    /** Keeps each recipient's latest attempt only (and how many there were): what a listing prints. */
    static void latestOnly(MessageState state) {
        for (RecipientState r : state.recipients) {
            r.attemptCount = r.attemptsMade();
            if (r.attempts.size() > 1) {
                r.attempts = new ArrayList<>(List.of(r.lastAttempt()));
            }
        }
    }

    /** For the listing, each recipient's latest attempt is all it prints: the rest stays out of the answer. */
    private static Entry entry(QueuedMessage m, List<String> attempting, boolean latestOnly) {
        MessageState state = m.snapshot();
        if (latestOnly) {
            latestOnly(state);
        }
        String prefix = m.id().toLowerCase(Locale.ROOT) + " ";
        Set<String> mine = Set.copyOf(attempting.stream().map(s -> s.toLowerCase(Locale.ROOT))
                .filter(s -> s.startsWith(prefix)).toList());
        return new Entry(m.envelope(), state, mine);
    }
}
