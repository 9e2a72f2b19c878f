package dev.posthorn.web.console;

import dev.posthorn.queue.PgQueueAdmin;
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

    QueueActions.Result apply(QueueActions.Request request) {
        Optional<PgDatabase> shared = server.store().database();
        return shared.isPresent() ? PgQueueAdmin.apply(shared.get(), request, clock)
                : QueueActions.apply(server.queue(), request, clock);
    }

    /** Whether the list is the cluster's (PostgreSQL) rather than this node's alone. */
    boolean clusterWide() {
        return server.store().database().isPresent();
    }
}
