package dev.posthorn.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.store.StoreConfig;
import dev.posthorn.testing.PostgresServer;
import dev.posthorn.testing.RunningServer;
import dev.posthorn.testing.SmtpWire;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node whose queue is in PostgreSQL: mail it accepts is a row before the {@code 250} and is delivered from
 * there (the row goes when every recipient is done); when the database refuses the commit the client gets
 * {@code 451 4.3.0} and nothing is kept or delivered.
 */
class PgQueueServerTest {

    @TempDir
    Path dataDir;

    @Test
    void mailAcceptedIsARowUntilDeliveredAndARefusedCommitIs451WithNothingKept() throws Exception {
        StoreConfig store = PostgresServer.shared().newStoreConfig();
        try (RunningServer server = RunningServer.start(dataDir, c -> c.store = store)) {
            server.server().store().directory().add("gina@posthorn.test", null);
            assertThat(send(server.mxPort(), "first")).startsWith("250 2.0.0 Ok: queued as ");
            assertThat(server.awaitMessages("gina@posthorn.test", 1, 20_000)).hasSize(1);
            awaitRows(store, 0);
            assertThat(Files.readString(server.messages("gina@posthorn.test").get(0))).contains("Subject: first");

            // The database refuses new queue rows: the commit fails, the client is told to try later.
            execute(store, "ALTER TABLE queue_messages ADD CONSTRAINT refuse CHECK (false) NOT VALID");
            assertThat(send(server.mxPort(), "second")).startsWith("451 4.3.0 ");
            execute(store, "ALTER TABLE queue_messages DROP CONSTRAINT refuse");
            assertThat(count(store, "SELECT count(*) FROM queue_content")).as("no content row left behind").isZero();

            assertThat(send(server.mxPort(), "third")).startsWith("250 2.0.0 Ok: queued as ");
            assertThat(server.awaitMessages("gina@posthorn.test", 2, 20_000)).hasSize(2);
            assertThat(server.messages("gina@posthorn.test")).noneMatch(p -> read(p).contains("Subject: second"));
        }
    }

    private static String send(int port, String subject) throws Exception {
        try (SmtpWire wire = SmtpWire.connect(port)) {
            wire.reply();
            wire.command("EHLO client.test");
            wire.command("MAIL FROM:<someone@example.org>");
            wire.command("RCPT TO:<gina@posthorn.test>");
            wire.command("DATA");
            return wire.command("Subject: " + subject + "\r\n\r\nbody\r\n.");
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void awaitRows(StoreConfig store, long expected) throws Exception {
        long deadline = System.currentTimeMillis() + 20_000;
        while (count(store, "SELECT count(*) FROM queue_messages") != expected) {
            assertThat(System.currentTimeMillis()).as("queue rows never became " + expected).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    static long count(StoreConfig store, String sql) throws Exception {
        try (Connection c = PostgresServer.shared().connect(store.url); Statement s = c.createStatement();
                ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }

    static void execute(StoreConfig store, String sql) throws Exception {
        try (Connection c = PostgresServer.shared().connect(store.url); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
