package dev.posthorn.web.console;

import dev.posthorn.queue.PgQueueAdmin;
import dev.posthorn.queue.PgQueueStore;
import dev.posthorn.queue.QueueActions;
import dev.posthorn.queue.QueueView;
import dev.posthorn.server.PosthornServer;
import dev.posthorn.store.pg.PgDatabase;
import java.time.Clock;
import java.util.Optional;

/**
 * The queue as the console and the API see it and act on it. With the files store it is this server's own queue,
 * in memory ({@link QueueView#of}, {@link QueueActions#apply}). With the queue in PostgreSQL it is the whole shared
 * queue, whichever node holds or will deliver a message: read and changed through the database exactly as
 * {@code posthorn queue} does there ({@link PgQueueAdmin}), not this node's claimed messages only.
 */
final class ConsoleQueue {

    private final PosthornServer server;
    private final Clock clock;

    ConsoleQueue(PosthornServer server, Clock clock) {
        this.server = server;
        this.clock = clock;
    }

    /** The listing ({@code id} null) or one message. */
    QueueView view(String id) {
        Optional<PgDatabase> shared = server.store().database();
        return shared.isPresent() ? PgQueueAdmin.view(shared.get(), id)
                : QueueView.of(server.queue(), server.scheduler().inFlight(), new QueueView.Query(id));
    }

    /**
     * With PostgreSQL the row changes (for every node); a message this node has claimed learns a hold or a delete at
     * once too, so its jobs waiting here are not attempted (another node's claim learns it before its next attempt,
     * {@link PgQueueStore#recheck}). An attempt already under way finishes (docs/scaling.md).
     */
    QueueActions.Result apply(QueueActions.Request request) {
        Optional<PgDatabase> shared = server.store().database();
        if (shared.isEmpty()) {
            return QueueActions.apply(server.queue(), request, clock);
        }
        QueueActions.Result result = PgQueueAdmin.apply(shared.get(), request, clock);
        QueueActions.Verb verb = request.verb();
        if (!request.dryRun() && server.queue() instanceof PgQueueStore own
                && (verb == QueueActions.Verb.HOLD || verb == QueueActions.Verb.DELETE)) {
            result.ids().forEach(id -> own.operatorChanged(id, verb == QueueActions.Verb.DELETE));
        }
        return result;
    }

    /** The queue's messages by state (held, active, deferred, queued): every message, not a capped listing. */
    java.util.Map<String, Integer> counts() {
        Optional<PgDatabase> shared = server.store().database();
        if (shared.isPresent()) {
            return PgQueueAdmin.counts(shared.get());
        }
        java.util.Map<String, Integer> counts = new java.util.LinkedHashMap<>();
        for (var m : server.queue().messages()) {
            dev.posthorn.server.QueueGauges.State state;
            synchronized (m) {
                state = dev.posthorn.server.QueueGauges.stateOf(m.state());
            }
            counts.merge(state.name().toLowerCase(java.util.Locale.ROOT), 1, Integer::sum);
        }
        return counts;
    }

    /**
     * With PostgreSQL, the rows set aside as unreadable (listed apart, as {@code posthorn queue list} does; deleting
     * one by id is all that applies to it). The files store's set-aside messages are not listed here.
     */
    java.util.List<dev.posthorn.queue.SetAside> unreadable() {
        Optional<PgDatabase> shared = server.store().database();
        return shared.isPresent() ? PgQueueAdmin.setAsideHeld(shared.get()) : java.util.List.of();
    }

    /** Whether the list is the cluster's (PostgreSQL) rather than this node's alone. */
    boolean clusterWide() {
        return server.store().database().isPresent();
    }
}
