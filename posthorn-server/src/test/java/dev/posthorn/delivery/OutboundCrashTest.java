package dev.posthorn.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.delivery.fixtures.Ports;
import dev.posthorn.delivery.fixtures.ScriptedSmtpPeer;
import dev.posthorn.spool.Envelope;
import dev.posthorn.spool.EnvelopeRecipient;
import dev.posthorn.spool.Spool;
import dev.posthorn.spool.SpoolWriter;
import dev.posthorn.testing.ServerProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILL Posthorn (a separate JVM) while it delivers many queued messages to a slow peer, start it again on
 * the same data directory: every acknowledged recipient is delivered. A recipient may get a second copy only
 * when the kill fell between the peer's 250 and our durable record of it: the server logs each attempt before it
 * starts and again once its outcome is recorded, so the test counts the attempts in flight at the kill and the
 * duplicates may not exceed them.
 */
@Timeout(180)
class OutboundCrashTest {

    private static final int MESSAGES = 60;
    private static final Pattern SUBJECT = Pattern.compile("Subject: crash-(\\d+)");
    private static final Pattern STARTED = Pattern.compile("attempt id=(\\S+) to=<([^>]+)> .*status=in-flight");
    private static final Pattern RECORDED = Pattern.compile("delivery id=(\\S+) to=<([^>]+)> .* recorded$");

    @TempDir
    Path dir;

    @Test
    void everyMessageArrivesAfterAKillDuringDelivery() throws Exception {
        Path data = dir.resolve("data");
        Spool spool = new Spool(data.resolve("queue"));
        for (int i = 0; i < MESSAGES; i++) {
            byte[] msg = ("From: alice@localhost\r\nTo: bob@remote.test\r\nSubject: crash-" + i + "\r\n\r\nbody " + i + "\r\n")
                    .getBytes(StandardCharsets.UTF_8);
            try (SpoolWriter w = spool.begin()) {
                w.content().write(msg);
                w.commit(new Envelope(w.id(), Instant.now(), "alice@localhost",
                        List.of(new EnvelopeRecipient("bob@remote.test", Set.of(), null, false)), "7BIT", false, null,
                        null, null, "127.0.0.1", "test", msg.length));
            }
        }
        spool.close(); // the server process opens the queue next (one process at a time)
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.start()) {
            peer.replyDelay = Duration.ofMillis(40);
            Path config = dir.resolve("posthorn.toml");
            Files.writeString(config, """
                    [routes]
                    "remote.test" = "127.0.0.1:%d"

                    [queue]
                    retry_intervals_seconds = [1]
                    connect_timeout_seconds = 2
                    command_timeout_seconds = 10
                    max_connections_per_destination = 4
                    """.formatted(peer.port()));
            Path log = dir.resolve("server.log");

            ServerProcess first = ServerProcess.start(data, Ports.free(), log, "--config", config.toString());
            awaitReceived(peer, MESSAGES / 4, Duration.ofSeconds(60));
            first.kill();
            int beforeKill = peer.received.size();
            peer.dropConnections();
            assertThat(beforeKill).as("the kill must interrupt delivery").isLessThan(MESSAGES);
            int inFlightAtKill = inFlight(Files.readAllLines(log));

            try (ServerProcess second = ServerProcess.start(data, Ports.free(), log, "--config", config.toString())) {
                Map<Integer, Integer> counts = awaitAllDistinct(peer, Duration.ofSeconds(90));
                assertThat(counts).hasSize(MESSAGES);
                int duplicates = counts.values().stream().mapToInt(c -> c - 1).sum();
                System.out.printf("OutboundCrashTest: %d delivered before SIGKILL, %d attempt(s) in flight at the kill, "
                        + "%d duplicate(s)%n", beforeKill, inFlightAtKill, duplicates);
                assertThat(inFlightAtKill).as("attempts in flight: at most one per connection").isLessThanOrEqualTo(4);
                assertThat(duplicates).as("duplicates (only attempts in flight at the kill allow them)")
                        .isLessThanOrEqualTo(inFlightAtKill);
                awaitEmptyQueue(data.resolve("queue"), Duration.ofSeconds(10));
            }
        }
    }

    /** Attempts the first process logged as started and never as recorded: what the kill interrupted. */
    private static int inFlight(List<String> log) {
        Map<String, Integer> open = new HashMap<>();
        for (String line : log) {
            Matcher started = STARTED.matcher(line);
            if (started.find()) {
                open.merge(started.group(1) + " " + started.group(2), 1, Integer::sum);
            }
            Matcher recorded = RECORDED.matcher(line);
            if (recorded.find()) {
                open.merge(recorded.group(1) + " " + recorded.group(2), -1, Integer::sum);
            }
        }
        return open.values().stream().mapToInt(Integer::intValue).sum();
    }

    private static void awaitReceived(ScriptedSmtpPeer peer, int n, Duration limit) throws InterruptedException {
        Instant deadline = Instant.now().plus(limit);
        while (peer.received.size() < n) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("only " + peer.received.size() + " messages arrived");
            }
            Thread.sleep(20);
        }
    }

    private static Map<Integer, Integer> awaitAllDistinct(ScriptedSmtpPeer peer, Duration limit) throws InterruptedException {
        Instant deadline = Instant.now().plus(limit);
        while (true) {
            Map<Integer, Integer> counts = new HashMap<>();
            for (ScriptedSmtpPeer.Received r : peer.received) {
                Matcher m = SUBJECT.matcher(r.text());
                if (m.find()) {
                    counts.merge(Integer.parseInt(m.group(1)), 1, Integer::sum);
                }
            }
            if (counts.size() == MESSAGES || Instant.now().isAfter(deadline)) {
                return counts;
            }
            Thread.sleep(50);
        }
    }

    private static void awaitEmptyQueue(Path queue, Duration limit) throws Exception {
        Instant deadline = Instant.now().plus(limit);
        while (Instant.now().isBefore(deadline)) {
            try (Stream<Path> files = Files.list(queue)) {
                if (files.noneMatch(p -> p.getFileName().toString().endsWith(".env"))) {
                    return;
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("queue not empty");
    }
}
