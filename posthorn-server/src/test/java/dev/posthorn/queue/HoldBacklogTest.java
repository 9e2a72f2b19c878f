package dev.posthorn.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.cli.Main;
import dev.posthorn.config.PosthornConfig;
import dev.posthorn.delivery.fixtures.ScriptedSmtpPeer;
import dev.posthorn.server.PosthornServer;
import dev.posthorn.testing.TestConfigs;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * "Held messages are never attempted until released", also when their recipients already wait in a busy lane
 * (dispatched, not yet started) at the hold: at most the one attempt running at the hold completes (finding 5 of
 * the review of issue 9).
 */
@Timeout(90)
class HoldBacklogTest {

    @TempDir
    Path dir;

    @Test
    void heldMessagesWaitingInALaneAreNotAttempted() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.start()) {
            peer.replyDelay = Duration.ofMillis(150);
            PosthornConfig c = TestConfigs.onFreePorts(dir.resolve("data"));
            c.routes.put("remote.test", "127.0.0.1:" + peer.port());
            c.queue.maxConnectionsPerDestination = 1;
            try (PosthornServer server = PosthornServer.start(c)) {
                for (int i = 0; i < 30; i++) {
                    server.enqueue("alice@posthorn.test", List.of("x" + i + "@remote.test"),
                            ("Subject: " + i + "\r\n\r\nbody\r\n").getBytes());
                }
                assertThat(peer.received.poll(20, TimeUnit.SECONDS)).isNotNull();
                CommandLine cli = Main.commandLine();
                StringWriter out = new StringWriter();
                cli.setOut(new PrintWriter(out, true));
                cli.setErr(new PrintWriter(new StringWriter(), true));
                cli.execute("queue", "hold", "--all", "--data-dir", c.server.dataDir);
                int atHold = peer.received.size() + 1;
                java.util.regex.Matcher held = java.util.regex.Pattern.compile("held (\\d+) message\\(s\\)")
                        .matcher(out.toString());
                assertThat(held.find()).as("the hold's answer: %s", out).isTrue();
                assertThat(Integer.parseInt(held.group(1))).as("messages held while waiting in the lane").isGreaterThan(5);
                Thread.sleep(5000);
                int after = peer.received.size() + 1;
                assertThat(after - atHold).as("messages delivered after they were held").isLessThanOrEqualTo(1);
            }
        }
    }
}
