package dev.posthorn.queue;

import dev.posthorn.spool.Envelope;
import dev.posthorn.spool.EnvelopeCodec;
import dev.posthorn.store.pg.PgDatabase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code posthorn queue ...} on the queue in PostgreSQL, from any node or host: reads and changes the rows
 * directly (every node sees the same rows). What each change means to the running nodes:
 * <ul>
 *   <li>retry: {@code retry_requested} and due now; the next claim (by any node, within its poll interval) makes
 *       every waiting recipient due;</li>
 *   <li>hold / release: the {@code held} column, which no node writes; a held row is never claimed (an attempt
 *       already under way on a node finishes);</li>
 *   <li>delete: the row goes (its content and state with it); a node holding a claim on it finds its claim gone
 *       at its next write and records nothing, as when the files store's operator deletes during an attempt.</li>
 * </ul>
 */
public final class PgQueueAdmin {

    private PgQueueAdmin() {
    }

    private record Row(Envelope envelope, MessageState state, boolean held, boolean leased) {
    }

    /** The listing ({@code id} null) or one message, as {@code posthorn queue list | show} prints it. */
    public static QueueView view(PgDatabase db, String id) {
        List<Row> rows = rows(db, id, QueueView.MAX_MESSAGES, new ArrayList<>());
        int total = id != null ? rows.size() : db.read(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT count(*) FROM queue_messages");
                    ResultSet r = s.executeQuery()) {
                r.next();
                return r.getInt(1);
            }
        });
        Instant now = Instant.now();
        List<QueueView.Entry> entries = new ArrayList<>();
        for (Row row : rows) {
            Set<String> inFlight = new HashSet<>();
            if (row.leased()) {
                // A node holds it: its recipients that were due are being attempted now.
                for (var r : row.envelope().recipients()) {
                    RecipientState s = row.state() == null ? null : row.state().recipient(r.address());
                    if (s == null || s.status == RecipientStatus.IN_FLIGHT
                            || (s.status.waiting() && s.nextAttempt != null && !s.nextAttempt.isAfter(now))) {
                        inFlight.add((row.envelope().id() + " " + r.address()).toLowerCase(Locale.ROOT));
                    }
                }
            }
            entries.add(new QueueView.Entry(row.envelope(), row.state(), inFlight));
        }
        return new QueueView(entries, total);
    }

    /**
     * The rows whose envelope or state cannot be read, with why: a node sets such a row aside (held) when it
     * claims it, and the operator sees it here, to repair it with SQL or delete it by id.
     */
    public static List<SetAside> setAside(PgDatabase db) {
        List<SetAside> unreadable = new ArrayList<>();
        rows(db, null, Integer.MAX_VALUE, unreadable);
        return unreadable;
    }

    private static List<Row> rows(PgDatabase db, String id, int limit, List<SetAside> unreadable) {
        return db.read(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT id, envelope, state, held,"
                    + " lease_owner IS NOT NULL AND lease_until > now() FROM queue_messages"
                    + (id == null ? "" : " WHERE id = ?") + " ORDER BY received_at, id LIMIT ?")) {
                int i = 1;
                if (id != null) {
                    s.setString(i++, id);
                }
                s.setInt(i, limit);
                List<Row> out = new ArrayList<>();
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        try {
                            Envelope e = EnvelopeCodec.decode(r.getString(2).getBytes(StandardCharsets.UTF_8));
                            String json = r.getString(3);
                            MessageState state = json == null ? new MessageState(e.id())
                                    : StateFile.decode(json.getBytes(StandardCharsets.UTF_8));
                            if (json == null) {
                                state = MessageState.fresh(e, e.receivedAt());
                            }
                            state.held = r.getBoolean(4);
                            out.add(new Row(e, state, r.getBoolean(4), r.getBoolean(5)));
                        } catch (IOException | RuntimeException why) {
                            // A node sets such a row aside (held) when it claims it: listed apart, deletable by id.
                            unreadable.add(new SetAside(r.getString(1), why.toString()));
                        }
                    }
                }
                return out;
            }
        });
    }

    /** Retry, delete, hold or release the selected messages (all of them read to match the filters). */
    public static QueueActions.Result apply(PgDatabase db, QueueActions.Request request, Clock clock) {
        Instant now = clock.instant();
        Map<String, Row> all = new LinkedHashMap<>();
        List<SetAside> unreadable = new ArrayList<>();
        for (Row row : rows(db, null, Integer.MAX_VALUE, unreadable)) {
            all.put(row.envelope().id(), row);
        }
        QueueSelector selector = request.selector();
        Set<String> asideIds = new HashSet<>();
        unreadable.forEach(a -> asideIds.add(a.id()));
        List<String> affected = new ArrayList<>();
        List<String> deletedAside = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        for (String id : selector.ids()) {
            if (all.containsKey(id)) {
                continue;
            }
            // An unreadable row matches no filter: only deleting it by id applies to it.
            if (asideIds.contains(id) && request.verb() == QueueActions.Verb.DELETE) {
                if (request.dryRun() || change(db, QueueActions.Verb.DELETE, id)) {
                    affected.add(id);
                    deletedAside.add(id);
                }
            } else {
                unknown.add(id);
            }
        }
        for (Row row : all.values()) {
            if (!selector.matches(row.envelope(), now) || !applies(request.verb(), row)) {
                continue;
            }
            if (request.dryRun() || change(db, request.verb(), row.envelope().id())) {
                affected.add(row.envelope().id());
            }
        }
        return new QueueActions.Result(affected, unknown, deletedAside);
    }

    private static boolean applies(QueueActions.Verb verb, Row row) {
        return switch (verb) {
            case RETRY -> !row.held() && row.state().recipients.stream().anyMatch(r -> r.status.waiting()
                    || r.status == RecipientStatus.IN_FLIGHT);
            case HOLD -> !row.held();
            case RELEASE -> row.held();
            case DELETE -> true;
        };
    }

    /** One statement, guarded so that a change another operator made meanwhile is not counted twice. */
    private static boolean change(PgDatabase db, QueueActions.Verb verb, String id) {
        String sql = switch (verb) {
            case RETRY -> "UPDATE queue_messages SET retry_requested = true, next_due = now() WHERE id = ? AND NOT held";
            case HOLD -> "UPDATE queue_messages SET held = true WHERE id = ? AND NOT held";
            case RELEASE -> "UPDATE queue_messages SET held = false WHERE id = ? AND held";
            case DELETE -> "DELETE FROM queue_messages WHERE id = ?";
        };
        return db.read(c -> {
            try (PreparedStatement s = c.prepareStatement(sql)) {
                s.setString(1, id);
                return s.executeUpdate() > 0;
            }
        });
    }
}
