package dev.posthorn.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.posthorn.store.StoreConfig;
import dev.posthorn.testing.PostgresServer;
import dev.posthorn.testing.RunningServer;
import dev.posthorn.testing.SmtpWire;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mail acknowledged (250) on the files store and still queued when the node is switched to the queue in
 * PostgreSQL: no node would ever deliver it from there, so the node refuses to start, says why, and leaves the
 * spool as it was (docs/scaling.md). Before, it started and the message was silently never delivered.
 */
class PgQueueSwitchTest {

    @TempDir
    Path dataDir;

    @Test
    void aNodeWhoseSpoolStillHoldsMailRefusesToStartOnPostgresqlAndKeepsIt() throws Exception {
        try (RunningServer server = RunningServer.start(dataDir, c -> c.delivery.local = "lmtp:127.0.0.1:9")) {
            server.server().store().directory().add("gina@posthorn.test", null);
            try (SmtpWire wire = SmtpWire.connect(server.mxPort())) {
                wire.reply();
                wire.command("EHLO client.test");
                wire.command("MAIL FROM:<someone@example.org>");
                wire.command("RCPT TO:<gina@posthorn.test>");
                wire.command("DATA");
                assertThat(wire.command("Subject: before\r\n\r\nbody\r\n.")).startsWith("250 ");
            }
        }
        List<String> before = envelopes();
        assertThat(before).as("the message waits in the spool (LMTP refused)").hasSize(1);
        StoreConfig store = PostgresServer.shared().newStoreConfig();
        assertThatThrownBy(() -> RunningServer.start(dataDir, c -> {
            c.store = store;
            c.delivery.local = "lmtp:127.0.0.1:9";
        })).hasStackTraceContaining("1 message(s) accepted on the files store are still in")
                .hasStackTraceContaining("posthorn queue list --data-dir");
        assertThat(envelopes()).as("the spool is intact").isEqualTo(before);
        assertThat(PgQueueServerTest.count(store, "SELECT count(*) FROM queue_messages")).isZero();
        // Back on the files store the node starts and still has it.
        try (RunningServer server = RunningServer.start(dataDir, c -> c.delivery.local = "lmtp:127.0.0.1:9")) {
            assertThat(server.server().spool().storedIds()).isEqualTo(before);
        }
    }

    private List<String> envelopes() throws Exception {
        try (Stream<Path> files = Files.list(dataDir.resolve("queue"))) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".env"))
                    .map(n -> n.substring(0, n.length() - ".env".length())).sorted().toList();
        }
    }
}
