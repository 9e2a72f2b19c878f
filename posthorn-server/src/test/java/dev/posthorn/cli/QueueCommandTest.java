package dev.posthorn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.config.PosthornConfig;
import dev.posthorn.delivery.fixtures.Ports;
import dev.posthorn.delivery.fixtures.ScriptedSmtpPeer;
import dev.posthorn.queue.MessageState;
import dev.posthorn.queue.RecipientStatus;
import dev.posthorn.queue.StateFile;
import dev.posthorn.server.PosthornServer;
import dev.posthorn.spool.Envelope;
import dev.posthorn.spool.EnvelopeRecipient;
import dev.posthorn.spool.Spool;
import dev.posthorn.spool.SpoolCrash;
import dev.posthorn.spool.SpoolWriter;
import dev.posthorn.testing.TestConfigs;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code posthorn queue}: stuck mail made visible with the remote's own words, retried and deleted. */
@Timeout(60)
class QueueCommandTest {

    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {
    }

    private Run run(String... args) {
        CommandLine cli = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private PosthornConfig config(int port) {
        PosthornConfig c = TestConfigs.onFreePorts(dir.resolve("data"));
        c.routes.put("remote.test", "127.0.0.1:" + port);
        c.queue.retryIntervalsSeconds = new ArrayList<>(List.of(3600L));
        c.queue.connectTimeoutSeconds = 2;
        return c;
    }

    private void awaitDeferred(Path queue, String id) throws Exception {
        Instant deadline = Instant.now().plusSeconds(10);
        while (Instant.now().isBefore(deadline)) {
            MessageState s = StateFile.read(queue, id);
            if (s != null && s.recipients.get(0).status == RecipientStatus.DEFERRED) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(id + " was not deferred");
    }

    @Test
    void listShowRetryAndDeleteOnARunningServer() throws Exception {
        int port = Ports.free();
        String data = dir.resolve("data").toString();
        Path queue = dir.resolve("data/queue");
        byte[] msg = "Subject: stuck\r\n\r\nbody\r\n".getBytes(StandardCharsets.UTF_8);
        try (PosthornServer server = PosthornServer.start(config(port))) {
            String stuck = server.enqueue("alice@posthorn.test", List.of("bob@remote.test"), msg);
            String doomed = server.enqueue("alice@posthorn.test", List.of("carol@remote.test"), msg);
            awaitDeferred(queue, stuck);
            awaitDeferred(queue, doomed);

            Run list = run("queue", "list", "--data-dir", data);
            assertThat(list.exit()).isZero();
            assertThat(list.out()).containsPattern(stuck + " +alice@posthorn\\.test +bob@remote\\.test +deferred +1  "
                    + "\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d  451 4\\.4\\.1 Connection refused by 127\\.0\\.0\\.1:" + port);
            assertThat(list.out()).contains("2 message(s).");

            Run show = run("queue", "show", stuck, "--data-dir", data);
            assertThat(show.exit()).isZero();
            assertThat(show.out()).contains("Message " + stuck, "From:      <alice@posthorn.test>",
                    "<bob@remote.test>  deferred, next attempt ", "deferred  via no server (none answered, or DNS had none)",
                    "        451 4.4.1 Connection refused by 127.0.0.1:" + port, "      means: 4.4.1 ");

            Run delete = run("queue", "delete", doomed, "--data-dir", data);
            assertThat(delete.exit()).isZero();
            assertThat(queue.resolve(doomed + ".env")).doesNotExist();

            try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.startOn(InetAddress.getLoopbackAddress(), port)) {
                Run retry = run("queue", "retry", stuck, "--data-dir", data);
                assertThat(retry.exit()).as(retry.err()).isZero();
                assertThat(peer.take(Duration.ofSeconds(10)).rcptTo()).containsExactly("bob@remote.test");
                Thread.sleep(500);
                assertThat(peer.received).isEmpty(); // the deleted message never went out
            }
            Instant deadline = Instant.now().plusSeconds(5);
            while (Files.exists(queue.resolve(stuck + ".env")) && Instant.now().isBefore(deadline)) {
                Thread.sleep(50);
            }
            assertThat(run("queue", "list", "--data-dir", data).out()).contains("The queue is empty.");
        }
    }

    @Test
    void unknownIdsAreReportedAndAStoppedServersQueueCanBeEdited() throws Exception {
        int port = Ports.free();
        String data = dir.resolve("data").toString();
        Path queue = dir.resolve("data/queue");
        String id;
        try (PosthornServer server = PosthornServer.start(config(port))) {
            id = server.enqueue("alice@posthorn.test", List.of("bob@remote.test"), "Subject: x\r\n\r\ny\r\n".getBytes(StandardCharsets.UTF_8));
            awaitDeferred(queue, id);
        }
        Run show = run("queue", "show", "NOSUCHID", "--data-dir", data);
        assertThat(show.exit()).isEqualTo(1);
        assertThat(show.err()).contains("no message NOSUCHID");

        Run unknown = run("queue", "retry", "NOSUCHID", "--data-dir", data);
        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(unknown.err()).contains("no message NOSUCHID");

        Run retry = run("queue", "retry", "--all", "--data-dir", data);
        assertThat(retry.exit()).isZero();
        assertThat(retry.out()).contains("retried 1 message(s) (no server is running: they are tried as soon as it starts)",
                "  " + id);
        assertThat(StateFile.read(queue, id).recipients.get(0).nextAttempt).isBefore(Instant.now().plusSeconds(1));

        assertThat(run("queue", "delete", id, "--data-dir", data).exit()).isZero();
        assertThat(run("queue", "list", "--data-dir", data).out()).contains("The queue is empty.");
    }

    @Test
    void aRecipientBeingTriedShowsAsInFlight() throws Exception {
        try (ScriptedSmtpPeer slow = ScriptedSmtpPeer.start()) {
            slow.replyDelay = Duration.ofSeconds(2);
            String data = dir.resolve("data").toString();
            try (PosthornServer server = PosthornServer.start(config(slow.port()))) {
                String id = server.enqueue("alice@posthorn.test", List.of("bob@remote.test"),
                        "Subject: slow\r\n\r\nbody\r\n".getBytes(StandardCharsets.UTF_8));
                Instant deadline = Instant.now().plusSeconds(10);
                String out = "";
                while (Instant.now().isBefore(deadline) && !out.contains("in flight")) {
                    out = run("queue", "list", "--data-dir", data).out();
                    Thread.sleep(100);
                }
                assertThat(out).containsPattern(id + " .*bob@remote\\.test +in flight");
                slow.take(Duration.ofSeconds(30));
            }
        }
    }

    @Test
    void heldMessagesAreNeverAttemptedUntilReleasedAndBulkActionsSelectByFilter() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.start()) {
            String data = dir.resolve("data").toString();
            Path queue = dir.resolve("data/queue");
            byte[] msg = "Subject: bulk\r\n\r\nbody\r\n".getBytes(StandardCharsets.UTF_8);
            PosthornConfig c = config(peer.port());
            c.routes.put("other.test", "127.0.0.1:" + Ports.free()); // refuses connections: stays deferred
            try (PosthornServer server = PosthornServer.start(c)) {
                String toOther1 = server.enqueue("alice@posthorn.test", List.of("x@other.test"), msg);
                String toOther2 = server.enqueue("bob@posthorn.test", List.of("y@other.test"), msg);
                awaitDeferred(queue, toOther1);
                awaitDeferred(queue, toOther2);

                Run dry = run("queue", "hold", "--domain", "other.test", "--dry-run", "--data-dir", data);
                assertThat(dry.exit()).as(dry.err()).isZero();
                assertThat(dry.out()).contains("Dry run: would hold 2 message(s)", "  " + toOther1, "  " + toOther2);
                assertThat(StateFile.read(queue, toOther1).held).isFalse();

                Run hold = run("queue", "hold", "--domain", "other.test", "--sender", "alice@posthorn.test",
                        "--data-dir", data);
                assertThat(hold.out()).contains("held 1 message(s)", "  " + toOther1).doesNotContain(toOther2);
                assertThat(StateFile.read(queue, toOther1).held).isTrue();
                assertThat(run("queue", "list", "--data-dir", data).out()).containsPattern(toOther1 + " .* held,deferred ");

                // A held message is not attempted, not even when retried or due; nor counted as retried.
                Run retry = run("queue", "retry", "--all", "--data-dir", data);
                assertThat(retry.out()).contains("retried 1 message(s)", "  " + toOther2).doesNotContain(toOther1);
                Thread.sleep(1500);
                MessageState held = StateFile.read(queue, toOther1);
                assertThat(held.recipients.get(0).attempts).as("no attempt while held").hasSize(1);
                assertThat(StateFile.read(queue, toOther2).recipients.get(0).attempts).as("the other was retried")
                        .hasSizeGreaterThanOrEqualTo(2);

                Run release = run("queue", "release", toOther1, "--data-dir", data);
                assertThat(release.out()).contains("released 1 message(s)");
                // Released, it waits for its own next attempt; a retry now makes it due at once.
                assertThat(run("queue", "retry", toOther1, "--data-dir", data).out()).contains("retried 1 message(s)");
                Instant deadline = Instant.now().plusSeconds(10);
                while (StateFile.read(queue, toOther1).recipients.get(0).attempts.size() < 2
                        && Instant.now().isBefore(deadline)) {
                    Thread.sleep(50);
                }
                assertThat(StateFile.read(queue, toOther1).recipients.get(0).attempts).hasSize(2);
            }
            // The same actions on the stopped server's queue: a durable hold survives, a delete is final.
            Run holdAll = run("queue", "hold", "--older-than", "0s", "--data-dir", data);
            assertThat(holdAll.out()).contains("held 2 message(s) (no server is running)");
            try (PosthornServer again = PosthornServer.start(c)) {
                assertThat(again.queue().messages()).hasSize(2).allSatisfy(m -> assertThat(m.snapshot().held).isTrue());
            }
            Run delete = run("queue", "delete", "--recipient", "y@other.test", "--data-dir", data);
            assertThat(delete.out()).contains("deleted 1 message(s)");
            assertThat(run("queue", "list", "--data-dir", data).out()).contains("1 message(s).")
                    .doesNotContain("y@other.test");
            assertThat(peer.received).isEmpty();
        }
    }

    /**
     * A message accepted a moment ago, for a local user, lives in the running server's journal and memory only
     * (no queue files until it must wait or a checkpoint writes it out): list and show still see it at once,
     * and say when it is being attempted. Before the fix they read the files: "The queue is empty."
     */
    @Test
    void aMessageInTheJournalOnlyIsListedAndShownByARunningServer() throws Exception {
        String data = dir.resolve("data").toString();
        Path queue = dir.resolve("data/queue");
        List<Socket> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();
        // An LMTP server that accepts and never greets: the delivery stays in flight, the message in memory.
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            java.util.concurrent.CountDownLatch connected = new java.util.concurrent.CountDownLatch(1);
            Thread.ofPlatform().daemon().start(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept());
                        connected.countDown();
                    }
                } catch (java.io.IOException closed) {
                    // the test is over
                }
            });
            PosthornConfig c = config(Ports.free());
            c.delivery.local = "lmtp:127.0.0.1:" + silent.getLocalPort();
            PosthornServer server = PosthornServer.start(c);
            try {
                String id = server.enqueue("alice@posthorn.test", List.of("bob@posthorn.test"),
                        "Subject: fresh\r\n\r\nbody\r\n".getBytes(StandardCharsets.UTF_8));

                Run list = run("queue", "list", "--data-dir", data);
                assertThat(list.exit()).as(list.err()).isZero();
                assertThat(list.out()).containsPattern(id + " +alice@posthorn\\.test +bob@posthorn\\.test +(queued|in flight) +0  ")
                        .contains("1 message(s).");
                Run show = run("queue", "show", id, "--data-dir", data);
                assertThat(show.exit()).as(show.err()).isZero();
                assertThat(show.out()).contains("Message " + id, "  From:      <alice@posthorn.test>", "no attempt yet")
                        .containsPattern("  <bob@posthorn\\.test>  (queued|in flight) \\(local\\)");

                assertThat(connected.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
                assertThat(run("queue", "list", "--data-dir", data).out())
                        .containsPattern(id + " +alice@posthorn\\.test +bob@posthorn\\.test +in flight +0  ");
                assertThat(run("queue", "show", id, "--data-dir", data).out())
                        .contains("  <bob@posthorn.test>  in flight (local)");
                // What made it invisible before: nothing of it is in the queue directory yet.
                assertThat(queue.resolve(id + ".env")).doesNotExist();
            } finally {
                silent.close();
                for (Socket s : accepted) {
                    s.close(); // the delivery ends (deferred), so the server stops at once
                }
                server.close();
            }
        }
    }

    /**
     * The same message on a stopped server that was killed: the journal is its only copy. The command opens the
     * spool (replaying the journal) and sees it; the message is still there for the next start.
     */
    @Test
    void aStoppedQueueIsListedWithoutChangingItAndSaysWhatItsJournalHolds() throws Exception {
        String data = dir.resolve("data").toString();
        Path queue = dir.resolve("data/queue");
        Spool spool = new Spool(queue);
        SpoolWriter writer = spool.begin();
        byte[] body = "Subject: journal\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII);
        writer.content().write(body);
        String id = writer.id();
        writer.commit(new Envelope(id, Instant.now(), "alice@posthorn.test",
                List.of(new EnvelopeRecipient("bob@posthorn.test", java.util.Set.of(), null, true)), "7BIT", false,
                null, null, null, "127.0.0.1", "client.test", body.length));
        SpoolCrash.crash(spool);
        assertThat(queue.resolve(id + ".env")).doesNotExist();

        Files.writeString(queue.resolve("ORPHAN1.msg"), "partial");
        List<String> before = tree(queue);

        Run list = run("queue", "list", "--data-dir", data);
        assertThat(list.exit()).as(list.err()).isZero();
        assertThat(list.out()).contains(QueueCommand.JOURNAL_PENDING).doesNotContain("The queue is empty.");
        Run show = run("queue", "show", id, "--data-dir", data);
        assertThat(show.exit()).isEqualTo(1);
        assertThat(show.err()).contains("no message " + id, QueueCommand.JOURNAL_PENDING);
        // A listing recovers nothing, locks nothing, writes nothing: the queue directory is as it was.
        assertThat(tree(queue)).isEqualTo(before);
        try (Spool again = new Spool(queue);
                dev.posthorn.queue.FileQueueStore store = new dev.posthorn.queue.FileQueueStore(again, java.time.Clock.systemUTC())) {
            assertThat(store.get(id)).as("replayed by the next opening").isNotNull();
        }
    }

    private static List<String> tree(Path queue) throws IOException {
        try (var walk = Files.walk(queue)) {
            return walk.map(p -> queue.relativize(p) + (Files.isRegularFile(p) ? " " + size(p) : "")).sorted().toList();
        }
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return -1;
        }
    }
}
