package dev.posthorn.queue;

import dev.posthorn.spool.Envelope;
import dev.posthorn.spool.EnvelopeCodec;
import dev.posthorn.store.pg.PgDatabase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
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

    private record Row(Envelope envelope, MessageState state, boolean held, boolean leased, QueueView.Entry entry) {
    }

    /**
     * The listing ({@code id} null) or one message, as {@code posthorn queue list | show} prints it. The listing is
     * bounded as {@link QueueView#of} bounds it: at most {@link QueueView#MAX_MESSAGES} messages and
     * {@link QueueView#MAX_BYTES} octets, each recipient with its latest attempt only (read through a cursor, so a
     * large backlog is never in memory at once).
     */
    public static QueueView view(PgDatabase db, String id) {
        List<Row> rows = db.transaction(c -> rows(c, id == null ? null : List.of(id), null,
                id == null ? QueueView.MAX_MESSAGES : 1, id == null, new ArrayList<>()));
        int total = id != null ? rows.size() : db.read(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT count(*) FROM queue_messages");
                    ResultSet r = s.executeQuery()) {
                r.next();
                return r.getInt(1);
            }
        });
        List<QueueView.Entry> entries = new ArrayList<>();
        for (Row row : rows) {
            entries.add(row.entry());
        }
        return new QueueView(entries, total);
    }

    /** The entry as a listing shows it: a leased row's recipients that were due are being attempted now. */
    private static QueueView.Entry entry(Envelope envelope, MessageState state, boolean leased, Instant now) {
        Set<String> inFlight = new HashSet<>();
        if (leased) {
            for (var r : envelope.recipients()) {
                RecipientState s = state.recipient(r.address());
                if (s == null || s.status == RecipientStatus.IN_FLIGHT
                        || (s.status.waiting() && s.nextAttempt != null && !s.nextAttempt.isAfter(now))) {
                    inFlight.add((envelope.id() + " " + r.address()).toLowerCase(Locale.ROOT));
                }
            }
        }
        return new QueueView.Entry(envelope, state, inFlight);
    }

    /**
     * How many messages the shared queue holds in each state ({@link QueueView}'s states: held, a recipient in
     * flight, one deferred, else queued), counted by the database: every row, however large the backlog. The
     * state column is matched as text (the status values are enum names, written by Jackson without spaces; a
     * quote inside a reply is escaped, so {@code "status":"X"} only ever matches a recipient's status).
     */
    public static Map<String, Integer> counts(PgDatabase db) {
        return db.read(c -> {
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT CASE WHEN held THEN 'held'
                                WHEN state LIKE '%"status":"IN_FLIGHT"%' THEN 'active'
                                WHEN state LIKE '%"status":"DEFERRED"%' THEN 'deferred'
                                ELSE 'queued' END AS s, count(*)
                    FROM queue_messages GROUP BY 1""");
                    ResultSet r = s.executeQuery()) {
                Map<String, Integer> out = new LinkedHashMap<>();
                while (r.next()) {
                    out.put(r.getString(1), r.getInt(2));
                }
                return out;
            }
        });
    }

    /**
     * The rows whose envelope or state cannot be read, with why: a node sets such a row aside (held) when it
     * claims it, and the operator sees it here, to repair it with SQL or delete it by id.
     */
    public static List<SetAside> setAside(PgDatabase db) {
        List<SetAside> unreadable = new ArrayList<>();
        // Every row is read (one not yet claimed is not held yet) through a cursor; none is kept but these.
        db.transaction(c -> rows(c, null, null, Integer.MAX_VALUE, false, unreadable, true, false));
        return unreadable;
    }

    /**
     * The unreadable rows a node has set aside (held), for the console: held rows only are read (a node holds such
     * a row when it claims it), so a page load does not decode the whole queue as {@link #setAside} does.
     */
    public static List<SetAside> setAsideHeld(PgDatabase db) {
        List<SetAside> unreadable = new ArrayList<>();
        db.transaction(c -> rows(c, null, null, Integer.MAX_VALUE, false, unreadable, true, true));
        return unreadable;
    }

    private static List<Row> rows(Connection c, List<String> ids, Instant receivedBefore, int limit, boolean listing,
                                  List<SetAside> unreadable) throws SQLException {
        return rows(c, ids, receivedBefore, limit, listing, unreadable, false, false);
    }

    /**
     * The rows selected (by id when {@code ids} is given: the primary key, not the whole queue), decoded; those that
     * cannot be decoded go to {@code unreadable}. For a {@code listing}, trimmed and bounded as the view is; run in
     * a transaction so that the fetch size makes a cursor (bounded memory).
     */
    private static List<Row> rows(Connection c, List<String> ids, Instant receivedBefore, int limit, boolean listing,
                                  List<SetAside> unreadable, boolean unreadableOnly, boolean heldOnly)
            throws SQLException {
        List<String> where = new ArrayList<>();
        if (heldOnly) {
            where.add("held");
        }
        if (ids != null) {
            where.add("id = ANY(?)");
        }
        if (receivedBefore != null) {
            where.add("received_at < ?");
        }
        try (PreparedStatement s = c.prepareStatement("SELECT id, envelope, state, held,"
                + " lease_owner IS NOT NULL AND lease_until > now() FROM queue_messages"
                + (where.isEmpty() ? "" : " WHERE " + String.join(" AND ", where))
                + " ORDER BY received_at, id LIMIT ?")) {
            s.setFetchSize(500);
            int i = 1;
            if (ids != null) {
                s.setArray(i++, c.createArrayOf("text", ids.toArray()));
            }
            if (receivedBefore != null) {
                s.setObject(i++, receivedBefore.atOffset(ZoneOffset.UTC));
            }
            s.setInt(i, limit);
            Instant now = Instant.now();
            long bytes = 0;
            List<Row> out = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    Envelope e;
                    MessageState state;
                    try {
                        e = EnvelopeCodec.decode(r.getString(2).getBytes(StandardCharsets.UTF_8));
                        String json = r.getString(3);
                        state = json == null ? MessageState.fresh(e, e.receivedAt())
                                : StateFile.decode(json.getBytes(StandardCharsets.UTF_8));
                    } catch (IOException | RuntimeException why) {
                        // A node sets such a row aside (held) when it claims it: listed apart, deletable by id.
                        unreadable.add(new SetAside(r.getString(1), why.toString()));
                        continue;
                    }
                    if (unreadableOnly) {
                        continue;
                    }
                    state.held = r.getBoolean(4);
                    if (listing) {
                        QueueView.latestOnly(state);
                    }
                    QueueView.Entry entry = entry(e, state, r.getBoolean(5), now);
                    if (listing) {
                        bytes += QueueView.encodedSize(entry);
                        if (bytes > QueueView.MAX_BYTES) {
                            break;
                        }
                    }
                    out.add(new Row(e, state, r.getBoolean(4), r.getBoolean(5), entry));
                }
            }
            return out;
        }
    }

    /**
     * Retry, delete, hold or release the selected messages, in one transaction: all of them or (on any failure,
     * the database's refusal or a broken connection) none. Ids are looked up by the primary key; without ids every
     * row received before {@code --older-than} (or every row) is read and the other filters matched here.
     */
    public static QueueActions.Result apply(PgDatabase db, QueueActions.Request request, Clock clock) {
        Instant now = clock.instant();
        QueueSelector selector = request.selector();
        try {
            return transaction(db, request, selector, now);
        } catch (RuntimeException e) {
            throw new IllegalStateException("the queue in PostgreSQL could not " + QueueActions.verbName(request.verb())
                    + " the selected messages: " + e.getMessage() + "; nothing was changed (one transaction), the "
                    + "action may be repeated", e);
        }
    }

    private static QueueActions.Result transaction(PgDatabase db, QueueActions.Request request,
                                                   QueueSelector selector, Instant now) {
        return db.transaction(c -> {
            Map<String, Row> all = new LinkedHashMap<>();
            List<SetAside> unreadable = new ArrayList<>();
            List<String> ids = selector.ids().isEmpty() ? null : selector.ids();
            Instant before = selector.olderThan() == null ? null : now.minus(selector.olderThan());
            for (Row row : rows(c, ids, before, Integer.MAX_VALUE, false, unreadable)) {
                all.put(row.envelope().id(), row);
            }
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
                    if (request.dryRun() || change(c, QueueActions.Verb.DELETE, id)) {
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
                if (request.dryRun() || change(c, request.verb(), row.envelope().id())) {
                    affected.add(row.envelope().id());
                }
            }
            return new QueueActions.Result(affected, unknown, deletedAside);
        });
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
    private static boolean change(Connection c, QueueActions.Verb verb, String id) throws SQLException {
        String sql = switch (verb) {
            case RETRY -> "UPDATE queue_messages SET retry_requested = true, next_due = now() WHERE id = ? AND NOT held";
            case HOLD -> "UPDATE queue_messages SET held = true WHERE id = ? AND NOT held";
            case RELEASE -> "UPDATE queue_messages SET held = false WHERE id = ? AND held";
            case DELETE -> "DELETE FROM queue_messages WHERE id = ?";
        };
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, id);
            return s.executeUpdate() > 0;
        }
    }
}
