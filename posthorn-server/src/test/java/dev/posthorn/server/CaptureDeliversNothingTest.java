package dev.posthorn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.config.PosthornConfig;
import dev.posthorn.delivery.fixtures.ScriptedSmtpPeer;
import dev.posthorn.smtp.protocol.ListenerRole;
import dev.posthorn.spool.Envelope;
import dev.posthorn.spool.EnvelopeRecipient;
import dev.posthorn.spool.Spool;
import dev.posthorn.spool.SpoolWriter;
import dev.posthorn.testing.TestConfigs;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve --capture} says nothing is delivered: that holds for mail an earlier, normal run left queued in the
 * same data directory too. The capture server sends none of it; a normal start afterwards still does.
 */
@Timeout(60)
class CaptureDeliversNothingTest {

    @TempDir
    Path dir;

    @Test
    void captureModeLeavesMailQueuedEarlierUndelivered() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.start()) {
            PosthornConfig config = TestConfigs.onFreePorts(dir.resolve("data"));
            config.listen.mxPort = dev.posthorn.delivery.fixtures.Ports.free();
            config.mailauth.enabled = false;
            config.routes.put("remote.test", "127.0.0.1:" + peer.port());
            String queuedId = queueEarlier(dir.resolve("data").resolve("queue"));

            LinkedBlockingQueue<String> captured = new LinkedBlockingQueue<>();
            try (PosthornServer server = PosthornServer.start(config,
                    new TestMode(null, (envelope, content) -> captured.add(envelope.sender())))) {
                // Sentinel: the capture server is up and taking mail, so its start-up (when a scheduler would
                // dispatch what is due) is over.
                send(server.port(ListenerRole.MX), "app@shop.test", "bob@customer.test");
                assertThat(captured.poll(15, TimeUnit.SECONDS)).isEqualTo("app@shop.test");
                assertThat(peer.received.poll(2, TimeUnit.SECONDS)).as("mail delivered by a capture server").isNull();
                assertThat(peer.connections.get()).as("connections to the route's peer").isZero();
                assertThat(server.queue().messages()).extracting(m -> m.id()).containsExactly(queuedId);
            }
            // Control: the same data directory started normally delivers the message, so it was deliverable.
            try (PosthornServer server = PosthornServer.start(config)) {
                ScriptedSmtpPeer.Received received = peer.received.poll(15, TimeUnit.SECONDS);
                assertThat(received).as("delivery after a normal start").isNotNull();
                assertThat(received.rcptTo()).containsExactly("carol@remote.test");
            }
        }
    }

    /** A message in the queue as a normal run leaves it when it stops before delivering. */
    private static String queueEarlier(Path queue) throws Exception {
        try (Spool spool = new Spool(queue); SpoolWriter writer = spool.begin()) {
            byte[] body = "Subject: queued earlier\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII);
            writer.content().write(body);
            writer.commit(new Envelope(writer.id(), Instant.now(), "alice@posthorn.test",
                    List.of(new EnvelopeRecipient("carol@remote.test", Set.of(), null, false)), "7BIT", false, null,
                    null, null, "127.0.0.1", "client.test", body.length));
            return writer.id();
        }
    }

    private static void send(int port, String from, String to) throws Exception {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout(10_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.US_ASCII));
            OutputStream out = socket.getOutputStream();
            assertThat(reply(in)).startsWith("220");
            for (String[] step : new String[][] {{"HELO app.test", "250"}, {"MAIL FROM:<" + from + ">", "250"},
                    {"RCPT TO:<" + to + ">", "250"}, {"DATA", "354"},
                    {"Subject: captured\r\n\r\nhello\r\n.", "250"}, {"QUIT", "221"}}) {
                out.write((step[0] + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                assertThat(reply(in)).as(step[0]).startsWith(step[1]);
            }
        }
    }

    private static String reply(BufferedReader in) throws Exception {
        String line;
        do {
            line = in.readLine();
        } while (line != null && line.length() > 3 && line.charAt(3) == '-');
        return line;
    }
}
