package dev.posthorn.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.posthorn.smtp.protocol.ListenerRole;
import dev.posthorn.store.StoreConfig;
import dev.posthorn.testing.Logins;
import dev.posthorn.testing.PostgresServer;
import dev.posthorn.testing.Recipients;
import dev.posthorn.testing.RunningServer;
import dev.posthorn.testing.SmtpWire;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shared database goes away under a running node: each command that needs it is told to try again later
 * ({@code 451 4.3.0}; in AUTH {@code 454 4.7.0}, RFC 4954 §6, as for an unreadable users file), the session goes
 * on, nothing is accepted and nothing lost, and the node serves again as soon as the database is back, without a
 * restart.
 */
class PgStoreOutageTest {

    private static final String LOCAL_ERROR = "451 4.3.0 Local error in processing";

    @TempDir
    Path dataDir;

    @Test
    void whileTheDatabaseIsGoneEachCommandGetsATemporaryFailureAndTheSessionGoesOn() throws Exception {
        StoreConfig store = PostgresServer.shared().newStoreConfig();
        store.connectTimeoutSeconds = 1;
        try (RunningServer server = RunningServer.start(dataDir, c -> c.store = store)) {
            server.server().store().directory().add("gina@posthorn.test", "pw".toCharArray());
            int submissions = server.port(ListenerRole.SUBMISSIONS);
            assertThat(Recipients.rcptReply(server.mxPort(), "gina@posthorn.test")).isEqualTo("250 2.1.5 Recipient OK");
            try (SmtpWire mx = SmtpWire.connect(server.mxPort());
                    SmtpWire sending = SmtpWire.submittingTls(submissions, "gina@posthorn.test", "pw");
                    SmtpWire atDot = SmtpWire.submittingTls(submissions, "gina@posthorn.test", "pw")) {
                mx.socket().setSoTimeout(15_000);
                sending.socket().setSoTimeout(15_000);
                atDot.socket().setSoTimeout(15_000);
                mx.reply();
                mx.command("EHLO client.test");
                assertThat(mx.command("MAIL FROM:<someone@example.org>")).startsWith("250 ");
                assertThat(atDot.command("MAIL FROM:<gina@posthorn.test>")).startsWith("250 ");
                assertThat(atDot.command("RCPT TO:<friend@example.net>")).startsWith("250 ");
                assertThat(atDot.command("DATA")).startsWith("354 ");
                atDot.send("From: gina@posthorn.test\r\nSubject: outage\r\n\r\nbody\r\n");

                try (Outage outage = Outage.of(store)) {
                    assertThat(mx.command("RCPT TO:<gina@posthorn.test>")).isEqualTo(LOCAL_ERROR);
                    assertThat(mx.command("NOOP")).startsWith("250 ");
                    // RFC 6409 §6.1 sender binding asks the directory whose addresses these are.
                    assertThat(sending.command("MAIL FROM:<gina@posthorn.test>")).isEqualTo(LOCAL_ERROR);
                    assertThat(sending.command("NOOP")).startsWith("250 ");
                    assertThat(atDot.command(".")).isEqualTo(LOCAL_ERROR);
                    assertThat(atDot.command("NOOP")).startsWith("250 ");
                    assertThat(Logins.plain(submissions, "gina@posthorn.test", "pw"))
                            .isEqualTo("454 4.7.0 Temporary authentication failure");
                    assertThat(Logins.scram(submissions, "gina@posthorn.test", "pw"))
                            .isEqualTo("454 4.7.0 Temporary authentication failure");
                }
                // The pool reconnects in the background once the database takes connections again; wait for the
                // store to answer (bounded), then the same sessions carry on.
                awaitStoreAnswers(server);
                assertThat(mx.command("RCPT TO:<gina@posthorn.test>")).isEqualTo("250 2.1.5 Recipient OK");
                assertThat(sending.command("MAIL FROM:<gina@posthorn.test>")).startsWith("250 ");
            }
            assertThat(Logins.plain(submissions, "gina@posthorn.test", "pw")).isEqualTo(Logins.OK);
            assertThat(Recipients.rcptReply(server.mxPort(), "nobody@posthorn.test"))
                    .isEqualTo("550 5.1.1 <nobody@posthorn.test>: Recipient address rejected: User unknown");
        }
    }

    /**
     * With the store in PostgreSQL the queue is there too: while the database is gone a generated message (a bounce,
     * a delay notice) cannot be queued, and says so (Notices keeps trying and does not count an outage towards its
     * give-up, NoticesTest); once the database is back it is queued, routed remote without a directory look-up.
     */
    @Test
    void aGeneratedMessageWaitsForTheDatabaseAndIsQueuedWhenItIsBack() throws Exception {
        StoreConfig store = PostgresServer.shared().newStoreConfig();
        store.connectTimeoutSeconds = 1;
        byte[] notice = "Subject: notice\r\n\r\nbody\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        try (RunningServer server = RunningServer.start(dataDir, c -> c.store = store)) {
            try (Outage outage = Outage.of(store)) {
                assertThatThrownBy(() -> server.server().enqueue("", java.util.List.of("sender@example.net"), notice))
                        .isInstanceOf(dev.posthorn.spool.StoreUnavailableException.class)
                        .hasMessageContaining("PostgreSQL at");
            }
            String id = server.server().enqueue("", java.util.List.of("sender@example.net"), notice);
            try (Connection db = PostgresServer.shared().connect(store.url);
                 java.sql.PreparedStatement q = db.prepareStatement("SELECT count(*) FROM queue_messages WHERE id = ?")) {
                q.setString(1, id);
                try (java.sql.ResultSet r = q.executeQuery()) {
                    r.next();
                    assertThat(r.getInt(1)).as("queued once the database is back").isEqualTo(1);
                }
            }
        }
    }

    /** The node's database refuses connections and its open ones are cut, until closed. */
    private static void awaitStoreAnswers(RunningServer server) throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try {
                server.server().store().directory().exists("gina@posthorn.test");
                return;
            } catch (java.io.UncheckedIOException stillDown) {
                if (System.nanoTime() > deadline) {
                    throw stillDown;
                }
                Thread.sleep(50);
            }
        }
    }

    record Outage(Connection admin, String database) implements AutoCloseable {

        static Outage of(StoreConfig store) throws SQLException {
            String database = store.url.substring(store.url.lastIndexOf('/') + 1);
            Connection admin = PostgresServer.shared().connect(PostgresServer.shared().url("postgres"));
            try (Statement s = admin.createStatement()) {
                s.execute("ALTER DATABASE " + database + " ALLOW_CONNECTIONS false");
                s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + database + "'");
            }
            return new Outage(admin, database);
        }

        @Override
        public void close() throws SQLException {
            try (admin; Statement s = admin.createStatement()) {
                s.execute("ALTER DATABASE " + database + " ALLOW_CONNECTIONS true");
            }
        }
    }
}
