package dev.posthorn.spool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.testing.RunningServer;
import dev.posthorn.testing.SmtpWire;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sick journal, over the wire: when the writer thread fails, or its sync does not return, a session waiting
 * for durability answers {@code 451 4.3.0} within seconds instead of hanging, later sessions too until the
 * journal recovers, and a message that got {@code 451} is never delivered.
 */
@Timeout(60)
class JournalFaultTest {

    private static final String MESSAGE = "Subject: %s\r\n\r\nbody\r\n.";

    @TempDir
    Path dir;

    @AfterEach
    void healthy() {
        Journal.fault = null;
        System.clearProperty("posthorn.spool.sync-deadline-millis");
    }

    private static String send(SmtpWire wire, String subject) throws IOException {
        startData(wire);
        return wire.command(MESSAGE.formatted(subject));
    }

    private static void startData(SmtpWire wire) throws IOException {
        assertThat(wire.command("MAIL FROM:<sender@example.org>")).startsWith("250 ");
        assertThat(wire.command("RCPT TO:<postmaster@localhost>")).startsWith("250 ");
        assertThat(wire.command("DATA")).startsWith("354 ");
    }

    @Test
    void aWriterThatFailsIsAnswered451AndRecovers() throws Exception {
        try (RunningServer server = RunningServer.start(dir.resolve("data"));
                SmtpWire wire = SmtpWire.connect(server.mxPort())) {
            wire.reply();
            wire.command("EHLO client.test");
            Journal.fault = () -> {
                throw new OutOfMemoryError("injected: the journal writer fails");
            };
            long started = System.nanoTime();
            assertThat(send(wire, "refused-1")).startsWith("451 4.3.0 ");
            assertThat(send(wire, "refused-2")).startsWith("451 4.3.0 ");
            assertThat((System.nanoTime() - started) / 1_000_000).as("ms for two refusals").isLessThan(5000);

            Journal.fault = null;
            assertThat(send(wire, "accepted")).startsWith("250 2.0.0 Ok: queued as ");
            assertThat(server.awaitMessages("postmaster@localhost", 1, 10_000)).hasSize(1)
                    .allSatisfy(p -> assertThat(java.nio.file.Files.readString(p)).contains("Subject: accepted"));
        }
    }

    @Test
    void aSyncThatNeverReturnsIsAnswered451WithinTheDeadlineAndTheRefusedMessageIsNeverDelivered() throws Exception {
        System.setProperty("posthorn.spool.sync-deadline-millis", "1000");
        CountDownLatch release = new CountDownLatch(1);
        Path data = dir.resolve("data");
        try (RunningServer server = RunningServer.start(data)) {
            try (SmtpWire first = SmtpWire.connect(server.mxPort()); SmtpWire second = SmtpWire.connect(server.mxPort())) {
                first.reply();
                first.command("EHLO client.test");
                second.reply();
                second.command("EHLO client.test");
                Journal.fault = () -> {
                    try {
                        release.await(); // a disk that does not answer
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                };
                startData(first);
                long started = System.nanoTime(); // from the end of the content to the reply: the commit alone
                assertThat(first.command(MESSAGE.formatted("stuck"))).startsWith("451 4.3.0 ");
                long waited = (System.nanoTime() - started) / 1_000_000;
                assertThat(waited).as("ms until the 451").isBetween(900L, 4000L);

                // While the sync still hangs, a new session is refused at once instead of queueing behind it.
                startData(second);
                long again = System.nanoTime();
                assertThat(second.command(MESSAGE.formatted("meanwhile"))).startsWith("451 4.3.0 ");
                assertThat((System.nanoTime() - again) / 1_000_000).as("ms for the second refusal").isLessThan(900L);

                Journal.fault = null;
                release.countDown(); // the disk comes back: the stuck batch is written after all
                String accepted = "";
                long deadline = System.currentTimeMillis() + 5000;
                while (!accepted.startsWith("250") && System.currentTimeMillis() < deadline) {
                    accepted = send(first, "after");
                }
                assertThat(accepted).startsWith("250 2.0.0 ");
            }
            assertThat(server.awaitMessages("postmaster@localhost", 1, 10_000)).hasSize(1);
        } finally {
            release.countDown();
        }
        // After a restart (replay of whatever the journal holds) the refused messages are still not delivered.
        try (RunningServer again = RunningServer.start(data)) {
            Thread.sleep(500);
            assertThat(again.messages("postmaster@localhost")).hasSize(1)
                    .allSatisfy(p -> assertThat(java.nio.file.Files.readString(p)).contains("Subject: after")
                            .doesNotContain("Subject: stuck", "Subject: meanwhile"));
        }
    }
}
