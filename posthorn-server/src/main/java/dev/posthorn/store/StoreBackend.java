package dev.posthorn.store;

import dev.posthorn.store.pg.PgDatabase;
import dev.posthorn.store.pg.PgDirectoryStore;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The stores one process uses, chosen by {@code [store] kind}: the files under the data directory, or a
 * PostgreSQL database shared with other nodes. The server and the CLI open it the same way, so a command run
 * on any node changes what every node sees.
 */
public final class StoreBackend implements AutoCloseable {

    private final DirectoryStore directory;
    private final PgDatabase database;

    private StoreBackend(DirectoryStore directory, PgDatabase database) {
        this.directory = directory;
        this.database = database;
    }

    /**
     * The stores of a running node. With PostgreSQL the node has an id ({@code store.node_id}, else the one kept
     * in {@code <dataDir>/node-id}, made from {@code hostname} the first time).
     *
     * @throws StoreException when the database cannot be reached or migrated (one line: URL, cause, fix)
     */
    public static StoreBackend openForNode(StoreConfig config, Path dataDir, String hostname) {
        return open(config, dataDir, () -> NodeId.resolve(config.nodeId, dataDir, hostname));
    }

    /**
     * The stores for one command-line command: the same data as the nodes', but no node id is made or written
     * (the command may run as another user than the server, and is not a node).
     */
    public static StoreBackend openForCommand(StoreConfig config, Path dataDir, String command) {
        return open(config, dataDir, () -> "cli " + command);
    }

    private static StoreBackend open(StoreConfig config, Path dataDir, Supplier<String> name) {
        if (!config.isPostgresql()) {
            return new StoreBackend(FileDirectoryStore.open(dataDir), null);
        }
        PgDatabase database = PgDatabase.open(config, name.get());
        return new StoreBackend(new PgDirectoryStore(database), database);
    }

    public DirectoryStore directory() {
        return directory;
    }

    /** The shared database, when the store is PostgreSQL (the queue on PostgreSQL will use it too). */
    public Optional<PgDatabase> database() {
        return Optional.ofNullable(database);
    }

    /** One line for banners: where users and domains live, and as which node. */
    public String describe() {
        return database == null ? "files (" + directory.describe() + ")"
                : directory.describe() + " as node " + database.nodeId();
    }

    @Override
    public void close() {
        directory.close();
        if (database != null) {
            database.close();
        }
    }
}
