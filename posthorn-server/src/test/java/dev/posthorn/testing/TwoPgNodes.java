package dev.posthorn.testing;

import dev.posthorn.store.StoreConfig;
import dev.posthorn.store.pg.PgDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * Two nodes on one PostgreSQL database, as a cluster runs them: each test gets a fresh database of the shared
 * cluster ({@link PostgresServer#shared()}) and two pools on it, {@code node-a} and {@code node-b}, closed after
 * the test. A test class extends this and looks at what the nodes wrote with {@link #rows} and
 * {@link #execute} (as the superuser, outside both pools).
 */
public abstract class TwoPgNodes {

    protected StoreConfig config;
    protected PgDatabase dbA;
    protected PgDatabase dbB;

    @BeforeEach
    void openTwoNodes() {
        config = PostgresServer.shared().newStoreConfig();
        dbA = PgDatabase.open(config, "node-a");
        dbB = PgDatabase.open(config, "node-b");
    }

    @AfterEach
    void closeTwoNodes() {
        dbA.close();
        dbB.close();
    }

    /** The first column of the first row of a query, a count most often. */
    protected long rows(String sql) throws SQLException {
        try (Connection c = PostgresServer.shared().connect(config.url); Statement s = c.createStatement();
                ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }

    /** Runs a statement on the nodes' database behind their backs (to expire a lease, damage a row...). */
    protected void execute(String sql) throws SQLException {
        try (Connection c = PostgresServer.shared().connect(config.url); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
