package dev.posthorn.spool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.cli.CliRun;
import dev.posthorn.config.PosthornConfig;
import dev.posthorn.server.PosthornServer;
import dev.posthorn.delivery.fixtures.Ports;
import dev.posthorn.testing.TestConfigs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An operator's delete whose tombstone cannot be written is reported as an error; the message is never attempted
 * again, the sweep writes the tombstone once the journal works, and a repeated delete acts again (finding 6 of the
 * review of issue 9: the message stayed "finishing" for good, a repeated delete said "deleted 0", a restart brought
 * it back and delivered it).
 */
@Timeout(90)
class FailedOperatorActionTest {

    @TempDir
    Path dir;

    @AfterEach
    void healthy() {
        Journal.fault = null;
    }

    @Test
    void aDeleteThatFailedOnceCanBeRepeatedAndIsNotUndoneByARestart() throws Exception {
        PosthornConfig c = TestConfigs.onFreePorts(dir.resolve("data"));
        c.routes.put("remote.test", "127.0.0.1:" + Ports.free()); // refuses: the message waits
        c.queue.retryIntervalsSeconds = new ArrayList<>(List.of(3600L));
        c.queue.connectTimeoutSeconds = 2;
        c.queue.sweepIntervalSeconds = 600; // no sweep finishes it first: the repeated delete must act itself
        String data = dir.resolve("data").toString();
        String id;
        try (PosthornServer server = PosthornServer.start(c)) {
            id = server.enqueue("alice@posthorn.test", List.of("x@remote.test"), "Subject: spam\r\n\r\nbody\r\n".getBytes());
            Thread.sleep(3000); // attempted and deferred
            Journal.fault = () -> {
                throw new IOException("injected: a journal hiccup");
            };
            CliRun first = CliRun.of("queue", "delete", id, "--data-dir", data);
            Journal.fault = null;
            assertThat(first.exitCode()).as("the failed delete's exit status").isNotZero();
            CliRun second = CliRun.of("queue", "delete", id, "--data-dir", data);
            assertThat(second.out()).as("the operator deletes again after the error").contains("deleted 1 message(s)");
            assertThat(second.exitCode()).isZero();
            assertThat(server.queue().get(id)).as("the message after the repeated delete").isNull();
        } finally {
            Journal.fault = null;
        }
    }

    @Test
    void afterAFailedDeleteTheMessageDoesNotComeBackAtTheNextStart() throws Exception {
        PosthornConfig c = TestConfigs.onFreePorts(dir.resolve("data"));
        c.routes.put("remote.test", "127.0.0.1:" + Ports.free());
        c.queue.retryIntervalsSeconds = new ArrayList<>(List.of(3600L));
        c.queue.connectTimeoutSeconds = 2;
        c.queue.sweepIntervalSeconds = 0.2;
        String data = dir.resolve("data").toString();
        String id;
        try (PosthornServer server = PosthornServer.start(c)) {
            id = server.enqueue("alice@posthorn.test", List.of("x@remote.test"), "Subject: spam\r\n\r\nbody\r\n".getBytes());
            Thread.sleep(3000);
            Journal.fault = () -> {
                throw new IOException("injected: a journal hiccup");
            };
            CliRun.of("queue", "delete", id, "--data-dir", data);
            Journal.fault = null;
            Thread.sleep(1500); // the sweep has every chance to finish what it started
        }
        try (PosthornServer again = PosthornServer.start(c)) {
            assertThat(again.queue().get(id)).as("the deleted message after a restart").isNull();
        }
    }
}
