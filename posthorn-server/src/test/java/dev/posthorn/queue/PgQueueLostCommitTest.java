package dev.posthorn.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.spool.Envelope;
import dev.posthorn.spool.EnvelopeCodec;
import dev.posthorn.spool.EnvelopeRecipient;
import dev.posthorn.store.StoreConfig;
import dev.posthorn.store.pg.PgDatabase;
import dev.posthorn.testing.PostgresServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The connection is lost after the database received COMMIT and before its answer came back: the message is
 * committed, so the acceptance succeeds (the session answers 250). Before, it answered 451 and the client's
 * second try was delivered too.
 */
class PgQueueLostCommitTest {

    @TempDir
    Path dir;

    @Test
    void aCommitWhoseAnswerIsLostIsAnswered250() throws Exception {
        StoreConfig direct = PostgresServer.shared().newStoreConfig();
        int pgPort = Integer.parseInt(direct.url.replaceAll("^jdbc:postgresql://[^:]+:(\\d+)/.*$", "$1"));
        AtomicBoolean armed = new AtomicBoolean();
        try (ServerSocket proxy = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread.ofPlatform().daemon().start(() -> serve(proxy, pgPort, armed));
            StoreConfig viaProxy = PostgresServer.shared().newStoreConfig();
            viaProxy.url = direct.url.replaceFirst(":" + pgPort + "/", ":" + proxy.getLocalPort() + "/");
            // Statements unnamed, so that the proxy sees the text COMMIT (else pgJDBC binds a prepared S_n).
            viaProxy.url += (viaProxy.url.contains("?") ? "&" : "?") + "prepareThreshold=0";
            try (PgDatabase db = PgDatabase.open(viaProxy, "node-a")) {
                PgQueueStore a = new PgQueueStore(db, Clock.systemUTC(), Duration.ofSeconds(60), Duration.ofMillis(100),
                        dir.resolve("a"));
                Envelope e = new Envelope("C1", Instant.now(), "alice@posthorn.test",
                        java.util.List.of(new EnvelopeRecipient("x@remote.test", Set.of(), null, false)),
                        "8BITMIME", false, null, null, null, "127.0.0.1", "client.test", 3);
                armed.set(true);
                a.accept(e, EnvelopeCodec.encode(e), new ByteArrayInputStream("a\r\n".getBytes()), 3); // 250
                try (Connection c = PostgresServer.shared().connect(direct.url); Statement s = c.createStatement();
                        ResultSet r = s.executeQuery("SELECT count(*) FROM queue_messages WHERE id = 'C1'")) {
                    r.next();
                    assertThat(r.getLong(1)).as("the message is queued, once").isEqualTo(1);
                }
            }
        }
    }

    private static void serve(ServerSocket proxy, int pgPort, AtomicBoolean armed) {
        while (true) {
            try {
                Socket client = proxy.accept();
                Socket server = new Socket(InetAddress.getLoopbackAddress(), pgPort);
                AtomicBoolean commitSent = new AtomicBoolean();
                Thread.ofPlatform().daemon().start(() -> pump(client, server, true, armed, commitSent));
                Thread.ofPlatform().daemon().start(() -> pump(server, client, false, armed, commitSent));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private static void pump(Socket from, Socket to, boolean upstream, AtomicBoolean armed, AtomicBoolean commitSent) {
        byte[] buf = new byte[65536];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buf)) > 0) {
                if (!upstream && commitSent.get()) {
                    from.close(); // the answer to COMMIT never reaches the node
                    to.close();
                    return;
                }
                if (upstream && armed.get() && new String(buf, 0, n, StandardCharsets.ISO_8859_1).contains("COMMIT")) {
                    commitSent.set(true); // before forwarding: the answer may come back at once
                }
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException ignored) {
            // closed
        } finally {
            try {
                from.close();
                to.close();
            } catch (IOException ignored) {
                // closed
            }
        }
    }
}
