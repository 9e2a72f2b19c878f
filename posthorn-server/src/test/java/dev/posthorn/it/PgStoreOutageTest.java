package dev.posthorn.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.store.StoreConfig;
import dev.posthorn.testing.PostgresServer;
import dev.posthorn.testing.Recipients;
import dev.posthorn.testing.RunningServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shared database goes away under a running node: a session that needs it is told to come back later
 * ({@code 421 4.3.0}, nothing accepted, nothing lost), the node keeps running, and it serves again as soon as
 * the database is back, without a restart.
 */
class PgStoreOutageTest {

    @TempDir
    Path dataDir;

    @Test
    void whileTheDatabaseIsGoneSessionsGet421AndTheNodeRecoversWhenItIsBack() throws Exception {
        StoreConfig store = PostgresServer.shared().newStoreConfig();
        store.connectTimeoutSeconds = 1;
        String database = store.url.substring(store.url.lastIndexOf('/') + 1);
        try (RunningServer server = RunningServer.start(dataDir, c -> c.store = store)) {
            server.server().store().directory().add("gina@posthorn.test", null);
            assertThat(Recipients.rcptReply(server.mxPort(), "gina@posthorn.test")).isEqualTo("250 2.1.5 Recipient OK");

            try (Connection admin = PostgresServer.shared().connect(PostgresServer.shared().url("postgres"));
                    Statement s = admin.createStatement()) {
                s.execute("ALTER DATABASE " + database + " ALLOW_CONNECTIONS false");
                s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + database + "'");
                try {
                    assertThat(Recipients.rcptReply(server.mxPort(), "gina@posthorn.test"))
                            .isEqualTo("421 4.3.0 mx.posthorn.test Error: internal error, closing connection");
                } finally {
                    s.execute("ALTER DATABASE " + database + " ALLOW_CONNECTIONS true");
                }
            }
            assertThat(Recipients.rcptReply(server.mxPort(), "gina@posthorn.test")).isEqualTo("250 2.1.5 Recipient OK");
            assertThat(Recipients.rcptReply(server.mxPort(), "nobody@posthorn.test"))
                    .isEqualTo("550 5.1.1 <nobody@posthorn.test>: Recipient address rejected: User unknown");
        }
    }
}
