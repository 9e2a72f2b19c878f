package dev.posthorn.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.cli.Main;
import dev.posthorn.spool.Envelope;
import dev.posthorn.spool.Spool;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A message whose state file cannot be read is set aside loudly, not skipped in silence (finding 12e of the
 * review of issue 9: it was never delivered, never bounced, and {@code posthorn queue list} did not show it).
 */
@Timeout(60)
class SetAsideTest {

    @TempDir
    Path dir;

    @Test
    void aMessageWithAnUnreadableStateIsKeptAndListed() throws Exception {
        Path queueDir = dir.resolve("data/queue");
        String id = queued(queueDir, "kept");
        assertThat(queueDir.resolve(id + ".env")).exists();
        Files.writeString(StateFile.path(queueDir, id), "{\"recipients\": [ this is not JSON");

        try (FileQueueStore store = new FileQueueStore(new Spool(queueDir), Clock.systemUTC())) {
            assertThat(store.get(id)).as("never attempted with a made-up state").isNull();
            assertThat(store.setAside()).extracting(SetAside::id).containsExactly(id);
            assertThat(store.setAside().get(0).reason()).startsWith("state unreadable");
        }
        assertThat(queueDir.resolve(id + ".env")).as("its files are kept").exists();
        assertThat(queueDir.resolve(id + ".state")).exists();

        CommandLine cli = Main.commandLine();
        StringWriter out = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(new StringWriter(), true));
        cli.execute("queue", "list", "--data-dir", dir.resolve("data").toString());
        assertThat(out.toString()).contains("Messages set aside because their files cannot be read")
                .contains(id + ": state unreadable");
    }

    /** {@code posthorn queue delete <id>} gets rid of a set-aside message: its files go, for good, and it says so. */
    @Test
    void aSetAsideMessageCanBeDeletedByItsId() throws Exception {
        Path queueDir = dir.resolve("data/queue");
        String id = queued(queueDir, "unreadable");
        Files.writeString(StateFile.path(queueDir, id), "{\"recipients\": [ this is not JSON");

        CommandLine cli = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute("queue", "delete", id, "--data-dir", dir.resolve("data").toString());
        assertThat(err.toString()).doesNotContain("no message");
        assertThat(code).isZero();
        assertThat(out.toString()).contains("deleted 1 message(s)")
                .contains(id + " (set aside, unreadable: its files are removed)");
        assertThat(queueDir.resolve(id + ".env")).doesNotExist();
        assertThat(queueDir.resolve(id + ".msg")).doesNotExist();
        assertThat(queueDir.resolve(id + ".state")).doesNotExist();

        // Durable: a restart (a replay of whatever the journal holds) does not bring it back, set aside or not.
        try (FileQueueStore store = new FileQueueStore(new Spool(queueDir), Clock.systemUTC())) {
            assertThat(store.get(id)).isNull();
            assertThat(store.setAside()).isEmpty();
        }
    }

    /** A message for a remote recipient, queued with its files written out; its id. */
    private static String queued(Path queueDir, String subject) throws Exception {
        Spool spool = new Spool(queueDir);
        try (FileQueueStore store = new FileQueueStore(spool, Clock.systemUTC())) {
            Envelope e = SpooledMessages.commit(spool, subject);
            spool.materialize(e.id());
            return e.id();
        }
    }
}
