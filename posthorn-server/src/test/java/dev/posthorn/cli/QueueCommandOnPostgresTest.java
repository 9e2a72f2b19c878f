package dev.posthorn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.delivery.fixtures.ScriptedSmtpPeer;
import dev.posthorn.store.StoreConfig;
import dev.posthorn.testing.PostgresServer;
import dev.posthorn.testing.RunningServer;
import dev.posthorn.testing.SmtpWire;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code posthorn queue list | show | hold | release | retry | delete --config FILE} on the queue in PostgreSQL,
 * run from another data directory (another host, as far as the files go) while a node runs: the command reads
 * and changes the shared rows, and the running node acts on the change (a held message is not attempted, a
 * retried one is attempted at once, a deleted one never).
 */
class QueueCommandOnPostgresTest {

    @TempDir
    Path dir;

    @Test
    void anOperatorElsewhereListsHoldsReleasesRetriesAndDeletesWhatTheNodeThenDoes() throws Exception {
        StoreConfig store = PostgresServer.shared().newStoreConfig();
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.start()) {
            peer.dataReply = n -> "451 4.3.0 not now";
            try (RunningServer node = RunningServer.start(dir.resolve("node"), c -> {
                c.store = store;
                c.store.pollMillis = 200;
                c.routes.put("remote.test", "127.0.0.1:" + peer.port());
                c.queue.retryIntervalsSeconds = new ArrayList<>(List.of(3600L));
            })) {
                Path config = dir.resolve("operator.toml");
                Files.writeString(config, PostgresServer.operatorConfig(store, dir.resolve("operator")));
                CliRun withoutConfig = queue("list", "--data-dir", dir.resolve("node").toString());
                assertThat(withoutConfig.exitCode()).isEqualTo(1);
                assertThat(withoutConfig.err()).contains("is in PostgreSQL: give --config with its posthorn.toml");
                String first = send(node.mxPort(), "first");
                String second = send(node.mxPort(), "second");
                await(() -> queue("list", "--config", config.toString()).out(),
                        out -> out.contains("2 message(s).") && count(out, "deferred") == 2, "two deferred messages");
                CliRun show = queue("show", first, "--config", config.toString());
                assertThat(show.out()).contains("Message " + first, "<bob@remote.test>  deferred, next attempt ",
                        "451 4.3.0 not now");

                assertThat(queue("hold", first, "--config", config.toString()).out()).contains("held 1 message(s)");
                assertThat(queue("show", first, "--config", config.toString()).out()).contains("HELD");
                peer.dataReply = n -> "250 2.0.0 Ok: queued as P" + n;
                // Held: a retry does not apply to it.
                assertThat(queue("retry", first, "--config", config.toString()).out()).contains("retried 0 message(s)");
                assertThat(queue("delete", second, "--config", config.toString()).out()).contains("deleted 1 message(s)");
                assertThat(queue("release", first, "--config", config.toString()).out()).contains("released 1 message(s)");
                int before = peer.received.size();
                assertThat(queue("retry", first, "--config", config.toString()).out()).contains("retried 1 message(s)");
                await(() -> queue("list", "--config", config.toString()).out(), out -> out.contains("The queue is empty."),
                        "the retried message delivered");
                Thread.sleep(500);
                List<String> texts = peer.received.stream().skip(before).map(ScriptedSmtpPeer.Received::text).toList();
                assertThat(texts).as("the retried message, once; never the deleted one").hasSize(1);
                assertThat(texts.get(0)).contains("Subject: first");
                assertThat(queue("show", second, "--config", config.toString()).err())
                        .contains("no message " + second + " in the shared queue");
            }
        }
        assertThat(Files.exists(dir.resolve("operator").resolve("queue"))).as("no local queue was made").isFalse();
    }

    private static long count(String text, String word) {
        return Stream.of(text.split("\n")).filter(l -> l.contains(word)).count();
    }

    private static String send(int port, String subject) throws Exception {
        try (SmtpWire wire = SmtpWire.connect(port)) {
            wire.reply();
            wire.command("EHLO client.test");
            wire.command("MAIL FROM:<alice@posthorn.test>");
            wire.command("RCPT TO:<bob@remote.test>");
            wire.command("DATA");
            String reply = wire.command("Subject: " + subject + "\r\n\r\nbody\r\n.");
            assertThat(reply).startsWith("250 2.0.0 Ok: queued as ");
            return reply.substring("250 2.0.0 Ok: queued as ".length()).trim();
        }
    }

    private static CliRun queue(String... args) {
        return CliRun.of(Stream.concat(Stream.of("queue"), Stream.of(args)).toArray(String[]::new));
    }

    interface Probe<T> {
        T get() throws Exception;
    }

    private static <T> T await(Probe<T> probe, Predicate<T> done, String what) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        T last = probe.get();
        while (!done.test(last)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("waited 30 s for " + what + "; last seen:\n" + last);
            }
            Thread.sleep(100);
            last = probe.get();
        }
        return last;
    }
}
