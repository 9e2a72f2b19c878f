package dev.posthorn.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.cli.Main;
import dev.posthorn.smtp.protocol.ListenerRole;
import dev.posthorn.store.StoreConfig;
import dev.posthorn.testing.Logins;
import dev.posthorn.testing.PostgresServer;
import dev.posthorn.testing.Recipients;
import dev.posthorn.testing.RunningServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two Posthorn nodes on one PostgreSQL database. What the CLI changes on node A (or any host with the same
 * configuration) is what node B answers within a second: a new user logs in, a changed password replaces the
 * old one, a deleted user is gone, for AUTH and for RCPT alike.
 */
class TwoNodesTest {

    /** The bound: a change on one node takes effect on the others within a second. */
    static final Duration WITHIN = Duration.ofSeconds(1);

    @TempDir
    Path dir;
    private RunningServer nodeA;
    private RunningServer nodeB;
    private Path configA;
    private final InputStream originalIn = System.in;

    @BeforeEach
    void startTwoNodes() throws IOException {
        StoreConfig store = PostgresServer.shared().newStoreConfig();
        Consumer<dev.posthorn.config.PosthornConfig> shared = c -> {
            c.store = store;
            // Polling logins with old passwords must not trip the failed-AUTH throttle.
            c.auth.maxFailuresPerIp = 1000;
            c.auth.maxFailuresPerUser = 1000;
            c.auth.disconnectAfterFailures = 1000;
        };
        nodeA = RunningServer.start(dir.resolve("a"), shared);
        nodeB = RunningServer.start(dir.resolve("b"), shared);
        // What an operator on node A has: its posthorn.toml, naming the shared database.
        configA = dir.resolve("a.toml");
        Files.writeString(configA, PostgresServer.operatorConfig(store, dir.resolve("a"),
                "domains = [\"localhost\", \"posthorn.test\"]"));
    }

    @AfterEach
    void stop() {
        System.setIn(originalIn);
        nodeA.close();
        nodeB.close();
    }

    @Test
    void aUserAddedWithTheCliOnOneNodeLogsInAndReceivesMailOnTheOtherWithinASecond() throws Exception {
        int portB = nodeB.port(ListenerRole.SUBMISSIONS);
        assertThat(Logins.plain(portB, "dora@posthorn.test", "dora's secret")).isEqualTo(Logins.INVALID);

        cli("dora's secret\n", "user", "add", "dora@posthorn.test", "--password-stdin", "--config", configA.toString());
        long changed = System.nanoTime();

        awaitOnB(changed, () -> Logins.plain(portB, "dora@posthorn.test", "dora's secret"), Logins.OK);
        assertThat(Logins.scram(portB, "dora@posthorn.test", "dora's secret")).isEqualTo(Logins.OK);
        assertThat(Recipients.rcptReply(nodeB.mxPort(), "dora@posthorn.test")).isEqualTo("250 2.1.5 Recipient OK");
    }

    @Test
    void aPasswordChangeAndADeletionOnOneNodeTakeEffectOnTheOtherWithinASecond() throws Exception {
        cli("first\n", "user", "add", "erin@posthorn.test", "--password-stdin", "--config", configA.toString());
        int portB = nodeB.port(ListenerRole.SUBMISSIONS);
        assertThat(Logins.plain(portB, "erin@posthorn.test", "first")).isEqualTo(Logins.OK);

        cli("second\n", "user", "passwd", "erin@posthorn.test", "--password-stdin", "--config", configA.toString());
        long changed = System.nanoTime();
        awaitOnB(changed, () -> Logins.plain(portB, "erin@posthorn.test", "first"), Logins.INVALID);
        awaitOnB(changed, () -> Logins.scram(portB, "erin@posthorn.test", "first"), Logins.INVALID);
        assertThat(Logins.plain(portB, "erin@posthorn.test", "second")).isEqualTo(Logins.OK);
        assertThat(Logins.scram(portB, "erin@posthorn.test", "second")).isEqualTo(Logins.OK);

        // Node A itself changes the store too: its own directory, the one its server uses.
        nodeA.server().store().directory().delete("erin@posthorn.test");
        long deleted = System.nanoTime();
        awaitOnB(deleted, () -> Logins.plain(portB, "erin@posthorn.test", "second"), Logins.INVALID);
        assertThat(Recipients.rcptReply(nodeB.mxPort(), "erin@posthorn.test"))
                .isEqualTo("550 5.1.1 <erin@posthorn.test>: Recipient address rejected: User unknown");
    }

    interface Attempt {
        String run() throws IOException;
    }

    /**
     * Polls node B until an attempt answers {@code expected}. The change has taken effect within the bound when
     * no attempt that started {@link #WITHIN} or more after the change committed still gets the old answer (an
     * attempt's own time, Argon2id included, belongs to the login, not to the change). A machine too slow to
     * start one in time still proves it by the first answer after.
     */
    private static void awaitOnB(long changedAt, Attempt attempt, String expected) throws Exception {
        long giveUp = changedAt + Duration.ofSeconds(30).toNanos();
        while (true) {
            long started = System.nanoTime();
            String answer = attempt.run();
            if (answer.equals(expected)) {
                return;
            }
            assertThat(Duration.ofNanos(started - changedAt))
                    .as("node B still answered '" + answer + "' to an attempt started this long after the change")
                    .isLessThan(WITHIN);
            if (System.nanoTime() > giveUp) {
                throw new AssertionError("node B never answered '" + expected + "'");
            }
            Thread.sleep(20);
        }
    }

    private void cli(String stdin, String... args) {
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        assertThat(Main.commandLine().execute(args)).as(String.join(" ", args)).isZero();
    }
}
