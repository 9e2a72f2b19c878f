package dev.posthorn.store.pg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.posthorn.store.StoreConfig;
import dev.posthorn.store.StoreException;
import dev.posthorn.testing.PostgresServer;
import dev.posthorn.testing.RunningServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Opening the database: migrations, and the one-line errors an operator gets when it cannot be used. */
class PgDatabaseTest {

    private static final PostgresServer PG = PostgresServer.shared();

    @Test
    void migrationsCreateTheSchemaOnAnEmptyDatabaseAndAreIdempotentOnRestart() throws SQLException {
        StoreConfig config = PG.newStoreConfig();
        try (PgDatabase db = PgDatabase.open(config, "node-a")) {
            assertThat(db.where()).isEqualTo(config.url);
        }
        try (Connection c = PG.connect(config.url)) {
            assertThat(strings(c, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                    + " ORDER BY table_name"))
                    .containsExactly("accounts", "addresses", "api_tokens", "dkim_keys", "domains", "flyway_schema_history",
                            "queue_content", "queue_messages", "secrets");
            assertThat(strings(c, "SELECT version || ' ' || success FROM flyway_schema_history ORDER BY installed_rank"))
                    .containsExactly("1 true", "1.1 true", "2 true", "3 true", "4 true");
        }
        // A restart finds the schema up to date: nothing applied again, nothing refused.
        try (PgDatabase db = PgDatabase.open(config, "node-a");
                PgDirectoryStore store = new PgDirectoryStore(db)) {
            store.add("alice@example.org", null);
            assertThat(store.list()).containsExactly("alice@example.org");
        }
        try (Connection c = PG.connect(config.url)) {
            assertThat(strings(c, "SELECT version FROM flyway_schema_history ORDER BY installed_rank"))
                    .containsExactly("1", "1.1", "2", "3", "4");
        }
    }

    @Test
    void nodesStartingTogetherApplyEachMigrationOnce() throws Exception {
        StoreConfig config = PG.newStoreConfig();
        int nodes = 3;
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(nodes);
        List<Future<PgDatabase>> opened = new ArrayList<>();
        try {
            for (int i = 0; i < nodes; i++) {
                String node = "node-" + i;
                opened.add(pool.submit(() -> {
                    go.await();
                    return PgDatabase.open(config, node);
                }));
            }
            go.countDown();
            for (Future<PgDatabase> f : opened) {
                f.get().close();
            }
        } finally {
            pool.shutdown();
        }
        try (Connection c = PG.connect(config.url)) {
            assertThat(strings(c, "SELECT version || ' ' || success FROM flyway_schema_history ORDER BY installed_rank"))
                    .containsExactly("1 true", "1.1 true", "2 true", "3 true", "4 true");
        }
    }

    @Test
    void connectionsNameTheNodeInPgStatActivity() throws SQLException {
        StoreConfig config = PG.newStoreConfig();
        try (PgDatabase db = PgDatabase.open(config, "mx1-a1b2c3");
                Connection c = PG.connect(config.url)) {
            String database = config.url.substring(config.url.lastIndexOf('/') + 1);
            assertThat(strings(c, "SELECT DISTINCT application_name FROM pg_stat_activity WHERE datname = '"
                    + database + "' AND application_name <> ''")).contains("posthorn mx1-a1b2c3");
        }
    }

    @Test
    void anUnreachableDatabaseIsOneLineWithTheUrlTheCauseAndTheFixAndNoPassword() {
        StoreConfig config = PG.newStoreConfig();
        int closed = RunningServer.freePort();
        config.url = "jdbc:postgresql://127.0.0.1:" + closed + "/posthorn?password=hunter2";
        config.connectTimeoutSeconds = 1;
        assertThatThrownBy(() -> PgDatabase.open(config, "n"))
                .isInstanceOf(StoreException.class)
                .hasMessageStartingWith("PostgreSQL at jdbc:postgresql://127.0.0.1:" + closed + "/posthorn?...: "
                        + "Connection to 127.0.0.1:" + closed + " refused")
                .hasMessageEndingWith("(fix: check that PostgreSQL runs, listens on that host and port"
                        + " (listen_addresses, port) and is reachable from this node)")
                .message().doesNotContain("\n").doesNotContain("hunter2");
    }

    @Test
    void aWrongPasswordAMissingDatabaseAndAForeignSchemaEachSayWhatToDo() throws SQLException {
        StoreConfig wrongPassword = PG.newStoreConfig();
        wrongPassword.passwordFile = null;
        wrongPassword.password = "not-the-password";
        assertThatThrownBy(() -> PgDatabase.open(wrongPassword, "n"))
                .hasMessageContaining("password authentication failed for user \"posthorn\"")
                .hasMessageEndingWith("(fix: check store.user and the password (store.password_file))")
                .message().doesNotContain("not-the-password");

        StoreConfig missing = PG.newStoreConfig();
        missing.url = PG.url("no_such_database");
        assertThatThrownBy(() -> PgDatabase.open(missing, "n"))
                .hasMessageContaining("database \"no_such_database\" does not exist")
                .hasMessageEndingWith("(fix: create the database: createdb -O <user> <database>)");

        StoreConfig foreign = PG.newStoreConfig();
        try (Connection c = PG.connect(foreign.url); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE invoices (id integer)");
        }
        assertThatThrownBy(() -> PgDatabase.open(foreign, "n"))
                .hasMessageStartingWith("PostgreSQL at " + foreign.url + ": migrating the schema failed: ")
                .hasMessageEndingWith("(fix: give Posthorn a database of its own: createdb -O <user> posthorn)")
                .message().doesNotContain("\n");
    }

    static List<String> strings(Connection c, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            while (r.next()) {
                out.add(r.getString(1));
            }
        }
        return out;
    }
}
