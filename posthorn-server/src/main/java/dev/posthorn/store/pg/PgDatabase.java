package dev.posthorn.store.pg;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.posthorn.store.Redaction;
import dev.posthorn.store.StoreConfig;
import dev.posthorn.store.StoreException;
import java.sql.Connection;
import java.sql.SQLException;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's way into the shared PostgreSQL database: a HikariCP pool of pgJDBC connections, and the schema
 * brought up to date by Flyway when it opens ({@code db/migration/V*.sql}; Flyway holds a PostgreSQL advisory
 * lock while it migrates, so nodes starting together apply each migration once). Every store on PostgreSQL
 * (the directory now, the queue next) runs its SQL through {@link #read} and {@link #transaction}, which
 * return connections to the pool on every path and turn failures into one-line {@link StoreException}s.
 */
public final class PgDatabase implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PgDatabase.class);

    private final HikariDataSource pool;
    private final String where;
    private final String nodeId;
    private final StoreConfig config;
    /** The queue's lease renewals: a connection of their own, opened when first needed (see {@link #renewal}). */
    private HikariDataSource renewals;

    private PgDatabase(HikariDataSource pool, String where, String nodeId, StoreConfig config) {
        this.pool = pool;
        this.where = where;
        this.nodeId = nodeId;
        this.config = config;
    }

    /**
     * Connects (waiting up to {@code store.connect_timeout_seconds} for the database to answer) and migrates.
     *
     * @throws StoreException one line naming the URL, the cause and the fix
     */
    public static PgDatabase open(StoreConfig config, String nodeId) {
        String where = Redaction.url(config.url);
        long timeoutMillis = config.connectTimeoutSeconds * 1000L;
        HikariConfig hikari = poolConfig(config, nodeId, "posthorn-pg", config.queryTimeoutSeconds);
        hikari.setMaximumPoolSize(config.poolSize);
        HikariDataSource pool = openPool(hikari, where, timeoutMillis);
        PgDatabase database = new PgDatabase(pool, where, nodeId, config);
        try {
            database.migrate(config);
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
        return database;
    }

    /**
     * Every query has a time limit: PostgreSQL cancels a statement past {@code statement_timeout} and a lock
     * wait past {@code lock_timeout} (a migration's ALTER TABLE, VACUUM FULL, an operator's open transaction),
     * and pgJDBC gives up on a server that stops answering altogether ({@code socketTimeout}, a little longer, so
     * that PostgreSQL's own, clearer error comes first when it can). TCP keepalive finds a peer that vanished
     * while the connection sat idle in the pool.
     */
    private static HikariConfig poolConfig(StoreConfig config, String nodeId, String name, int timeoutSeconds) {
        HikariConfig hikari = new HikariConfig();
        hikari.setPoolName(name);
        hikari.setJdbcUrl(config.url);
        if (!config.user.isEmpty()) {
            hikari.setUsername(config.user);
        }
        String password = config.resolvePassword();
        if (password != null) {
            hikari.setPassword(password);
        }
        hikari.setConnectionTimeout(config.connectTimeoutSeconds * 1000L);
        hikari.setInitializationFailTimeout(1); // one attempt per pool; openPool decides whether to try again
        hikari.addDataSourceProperty("connectTimeout", String.valueOf(config.connectTimeoutSeconds));
        hikari.addDataSourceProperty("socketTimeout", String.valueOf(timeoutSeconds + config.connectTimeoutSeconds));
        hikari.addDataSourceProperty("options", "-c statement_timeout=" + timeoutSeconds + "s -c lock_timeout="
                + timeoutSeconds + "s");
        hikari.addDataSourceProperty("tcpKeepAlive", "true");
        // pg_stat_activity then says which node holds which connection.
        hikari.addDataSourceProperty("ApplicationName", "posthorn " + nodeId);
        return hikari;
    }

    /**
     * A node and its database often boot together: while the database cannot be reached or is still starting
     * up, try again until the connect timeout has passed. A refusal (wrong password, no such database) will
     * not change by waiting, and fails at once.
     */
    private static HikariDataSource openPool(HikariConfig hikari, String where, long timeoutMillis) {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        while (true) {
            try {
                return new HikariDataSource(hikari);
            } catch (RuntimeException e) {
                if (!PgErrors.worthWaiting(e) || System.nanoTime() > deadline) {
                    throw PgErrors.failure(where, e);
                }
                LOG.info("database {} not reachable yet ({}); trying again", where, PgErrors.cause(e));
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StoreException("PostgreSQL at " + where + ": interrupted while waiting for it", e);
            }
        }
    }

    /**
     * Flyway gets a pool of its own, closed when it is done: migrations may take longer than a query may
     * ({@code store.migration_timeout_seconds}), and Flyway holds one connection for its lock while it works on
     * another, which the node's pool need not have room for ({@code pool_size = 1}).
     */
    private void migrate(StoreConfig config) {
        HikariConfig hikari = poolConfig(config, nodeId, "posthorn-pg-migrate", config.migrationTimeoutSeconds);
        hikari.setMaximumPoolSize(2);
        try (HikariDataSource migrations = openPool(hikari, where, config.connectTimeoutSeconds * 1000L)) {
            MigrateResult result = Flyway.configure(PgDatabase.class.getClassLoader())
                    .dataSource(migrations)
                    .locations("classpath:db/migration")
                    .failOnMissingLocations(true)
                    .load()
                    .migrate();
            if (result.migrationsExecuted > 0) {
                LOG.info("database {}: schema migrated to version {} ({} migrations)", where, result.targetSchemaVersion,
                        result.migrationsExecuted);
            }
        } catch (FlywayException e) {
            String fix = e.getMessage() != null && e.getMessage().contains("non-empty schema")
                    ? "give Posthorn a database of its own: createdb -O <user> posthorn"
                    : PgErrors.fix(e);
            throw new StoreException("PostgreSQL at " + where + ": migrating the schema failed: " + PgErrors.cause(e)
                    + " (fix: " + fix + ")", e);
        }
    }

    /** The URL without its parameters, for messages. */
    public String where() {
        return where;
    }

    public String nodeId() {
        return nodeId;
    }

    /**
     * Work in autocommit mode: each statement commits on its own. Only for reads: a read that fails because its
     * pooled connection was dead (the database restarted, a failover: SQLSTATE class 08 or 57P0x) is tried once
     * more on another connection, which the pool opens afresh. A write is never repeated: its outcome is unknown.
     */
    public <T> T read(SqlWork<T> work) {
        try {
            return readOnce(work);
        } catch (SQLException e) {
            if (!PgErrors.connectionLost(e)) {
                throw PgErrors.failure(where, e);
            }
            LOG.info("database {}: {}; reading again on another connection", where, PgErrors.cause(e));
            try {
                return readOnce(work);
            } catch (SQLException again) {
                throw PgErrors.failure(where, again);
            }
        }
    }

    private <T> T readOnce(SqlWork<T> work) throws SQLException {
        try (Connection c = pool.getConnection()) {
            return work.run(c);
        }
    }

    /**
     * Work in one transaction: committed when it returns, rolled back when it throws (a refusal such as
     * {@code UserStoreException} included). The commit has returned before this method does.
     */
    public <T> T transaction(SqlWork<T> work) {
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                rollback(c, e);
                throw e;
            }
        } catch (SQLException e) {
            throw PgErrors.failure(where, e);
        }
    }

    private static void rollback(Connection c, Exception cause) {
        try {
            c.rollback();
        } catch (SQLException e) {
            // The connection is likely broken; the pool discards it. The first failure is the one to report.
            cause.addSuppressed(e);
        }
    }

    /**
     * Work on the lease renewals' own connection (a pool of one, statements limited to 5 s): a pool busy with
     * every session's commits must not keep a lease from being renewed, or the message being delivered here is
     * claimed and delivered by another node too. A broken connection is replaced by the pool at the next call.
     */
    public <T> T renewal(SqlWork<T> work) {
        HikariDataSource own;
        synchronized (this) {
            if (renewals == null) {
                int limit = Math.max(1, Math.min(5, config.queryTimeoutSeconds));
                HikariConfig hikari = poolConfig(config, nodeId, "posthorn-pg-lease", limit);
                hikari.setMaximumPoolSize(1);
                hikari.setMinimumIdle(1);
                renewals = openPool(hikari, where, 0);
            }
            own = renewals;
        }
        try (Connection c = own.getConnection()) {
            return work.run(c);
        } catch (SQLException e) {
            throw PgErrors.failure(where, e);
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (renewals != null) {
                renewals.close();
            }
        }
        pool.close();
    }

    /** A unit of JDBC work. */
    @FunctionalInterface
    public interface SqlWork<T> {
        T run(Connection connection) throws SQLException;
    }
}
