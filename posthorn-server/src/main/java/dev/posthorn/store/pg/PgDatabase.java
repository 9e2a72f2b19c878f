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

    private PgDatabase(HikariDataSource pool, String where, String nodeId) {
        this.pool = pool;
        this.where = where;
        this.nodeId = nodeId;
    }

    /**
     * Connects (waiting up to {@code store.connect_timeout_seconds} for the database to answer) and migrates.
     *
     * @throws StoreException one line naming the URL, the cause and the fix
     */
    public static PgDatabase open(StoreConfig config, String nodeId) {
        String where = Redaction.url(config.url);
        HikariConfig hikari = new HikariConfig();
        hikari.setPoolName("posthorn-pg");
        hikari.setJdbcUrl(config.url);
        if (!config.user.isEmpty()) {
            hikari.setUsername(config.user);
        }
        String password = config.resolvePassword();
        if (password != null) {
            hikari.setPassword(password);
        }
        hikari.setMaximumPoolSize(config.poolSize);
        long timeoutMillis = config.connectTimeoutSeconds * 1000L;
        hikari.setConnectionTimeout(timeoutMillis);
        hikari.setInitializationFailTimeout(1); // one attempt per pool; openPool decides whether to try again
        hikari.addDataSourceProperty("connectTimeout", String.valueOf(config.connectTimeoutSeconds));
        hikari.addDataSourceProperty("tcpKeepAlive", "true");
        // A database that stops answering mid-statement (a partition, a hung host) fails the statement after this
        // long instead of holding a session (which then answers 451) or a delivery's record forever.
        hikari.addDataSourceProperty("socketTimeout", "30");
        // pg_stat_activity then says which node holds which connection.
        hikari.addDataSourceProperty("ApplicationName", "posthorn " + nodeId);
        HikariDataSource pool = openPool(hikari, where, timeoutMillis);
        PgDatabase database = new PgDatabase(pool, where, nodeId);
        try {
            database.migrate();
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
        return database;
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

    private void migrate() {
        try {
            MigrateResult result = Flyway.configure(PgDatabase.class.getClassLoader())
                    .dataSource(pool)
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

    /** Work in autocommit mode: each statement commits on its own. */
    public <T> T read(SqlWork<T> work) {
        try (Connection c = pool.getConnection()) {
            return work.run(c);
        } catch (SQLException e) {
            throw PgErrors.failure(where, e);
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

    @Override
    public void close() {
        pool.close();
    }

    /** A unit of JDBC work. */
    @FunctionalInterface
    public interface SqlWork<T> {
        T run(Connection connection) throws SQLException;
    }
}
