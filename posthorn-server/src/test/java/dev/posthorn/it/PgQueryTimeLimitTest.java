package dev.posthorn.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.store.DirectoryStore;
import dev.posthorn.store.StoreBackend;
import dev.posthorn.store.StoreConfig;
import dev.posthorn.store.StoreException;
import dev.posthorn.testing.PostgresServer;
import dev.posthorn.testing.Recipients;
import dev.posthorn.testing.RunningServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A database that holds a query (a lock taken by a migration, VACUUM FULL, an operator's open transaction) or
 * stops answering (a partition without RST, here its processes stopped with SIGSTOP) costs a command a temporary
 * failure within {@code store.query_timeout_seconds}, never a thread and a pooled connection for ever.
 */
class PgQueryTimeLimitTest {

    @TempDir
    Path dataDir;

    private static StoreConfig store() {
        StoreConfig store = PostgresServer.shared().newStoreConfig();
        store.connectTimeoutSeconds = 1;
        store.queryTimeoutSeconds = 2;
        return store;
    }

    @Test
    void anRcptWaitingOnALockedTableGets451WithinTheQueryTimeLimit() throws Exception {
        StoreConfig store = store();
        try (RunningServer server = RunningServer.start(dataDir, c -> c.store = store)) {
            server.server().store().directory().add("gina@posthorn.test", null);
            assertThat(Recipients.rcptReply(server.mxPort(), "gina@posthorn.test")).isEqualTo("250 2.1.5 Recipient OK");
            try (Connection admin = PostgresServer.shared().connect(store.url); Statement s = admin.createStatement()) {
                admin.setAutoCommit(false);
                s.execute("LOCK TABLE addresses IN ACCESS EXCLUSIVE MODE");
                try {
                    long start = System.nanoTime();
                    // Recipients.rcptReply waits 15 s for the reply; the limit is 2 s.
                    assertThat(Recipients.rcptReply(server.mxPort(), "gina@posthorn.test"))
                            .isEqualTo("451 4.3.0 Local error in processing");
                    assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).isLessThan(10);
                } finally {
                    admin.rollback();
                }
            }
            assertThat(Recipients.rcptReply(server.mxPort(), "gina@posthorn.test")).isEqualTo("250 2.1.5 Recipient OK");
        }
    }

    @Test
    void aDatabaseThatStopsAnsweringFailsALookUpWithinTheLimit() throws Exception {
        StoreConfig config = store();
        String database = config.url.substring(config.url.lastIndexOf('/') + 1);
        try (StoreBackend backend = StoreBackend.openForNode(config, dataDir, "limits.test")) {
            DirectoryStore directory = backend.directory();
            directory.add("gina@posthorn.test", null);
            List<String> pids = new ArrayList<>();
            try (Connection admin = PostgresServer.shared().connect(PostgresServer.shared().url("postgres"));
                    PreparedStatement s = admin.prepareStatement("SELECT pid FROM pg_stat_activity"
                            + " WHERE datname = ? AND application_name LIKE 'posthorn %'")) {
                s.setString(1, database);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        pids.add(String.valueOf(r.getInt(1)));
                    }
                }
            }
            assertThat(pids).isNotEmpty();
            String status = Files.readString(Path.of("/proc/" + pids.get(0) + "/status"));
            pids.add(status.replaceAll("(?s).*\\nPPid:\\s*(\\d+).*", "$1")); // the postmaster: no new connection either
            ExecutorService one = Executors.newSingleThreadExecutor();
            try {
                Future<Optional<String>> lookup = one.submit(() -> {
                    directory.accountFor("gina@posthorn.test"); // this thread's pooled connection, just used
                    signal("-STOP", pids);
                    return directory.accountFor("gina@posthorn.test");
                });
                // socketTimeout is query + connect time-out, 3 s: well within 15.
                ExecutionException failed = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                        () -> lookup.get(15, TimeUnit.SECONDS));
                assertThat(failed.getCause()).isInstanceOf(StoreException.class);
            } finally {
                signal("-CONT", pids);
                one.shutdownNow();
            }
        }
    }

    /** Flyway has a pool of its own: a node whose pool holds one connection starts and serves. */
    @Test
    void aNodeWithAPoolOfOneConnectionStartsAndServes() throws Exception {
        StoreConfig store = store();
        store.poolSize = 1;
        try (RunningServer server = RunningServer.start(dataDir, c -> c.store = store)) {
            server.server().store().directory().add("gina@posthorn.test", null);
            assertThat(Recipients.rcptReply(server.mxPort(), "gina@posthorn.test")).isEqualTo("250 2.1.5 Recipient OK");
        }
    }

    private static void signal(String signal, List<String> pids) throws Exception {
        List<String> command = new ArrayList<>(List.of("kill", signal));
        command.addAll(pids);
        assertThat(new ProcessBuilder(command).inheritIO().start().waitFor()).isZero();
    }
}
