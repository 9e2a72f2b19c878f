package dev.posthorn.smtp.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.testing.RunningServer;
import dev.posthorn.testing.SmtpWire;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * command_timeout_seconds bounds every wait for the client, also inside message content: a client that stops
 * sending in the middle of DATA (or of a BDAT chunk) is cut at the command timeout, not only at the (longer) total
 * data timeout. Found by review when reads lost their socket timeouts (the watchdog holds this now).
 */
class ContentStallDeadlineTest {

    static final String TIMEOUT = "421 4.4.2 mx.posthorn.test Error: timeout exceeded";

    @Test
    void aClientSilentInTheMiddleOfDataIsCutAtTheCommandTimeout(@TempDir Path dir) throws IOException {
        try (RunningServer server = RunningServer.start(dir, c -> {
            c.limits.commandTimeoutSeconds = 1;
            c.limits.dataTimeoutSeconds = 60;
            c.auth.throttleDelaySeconds = 0; // must stay below the command timeout
        });
                SmtpWire wire = SmtpWire.connect(server.mxPort())) {
            wire.reply();
            wire.command("EHLO client.test");
            assertThat(wire.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
            assertThat(wire.command("RCPT TO:<postmaster@posthorn.test>")).startsWith("250 ");
            assertThat(wire.command("DATA")).startsWith("354 ");
            wire.send("Subject: stalled\r\n\r\nhalf a body");
            wire.socket().setSoTimeout(10_000);
            long started = System.nanoTime();
            assertThat(wire.reply()).isEqualTo(TIMEOUT);
            assertThat((System.nanoTime() - started) / 1_000_000).isBetween(800L, 4_000L);
        }
    }

    @Test
    void aClientSilentInTheMiddleOfABdatChunkIsCutAtTheCommandTimeout(@TempDir Path dir) throws IOException {
        try (RunningServer server = RunningServer.start(dir, c -> {
            c.limits.commandTimeoutSeconds = 1;
            c.limits.dataTimeoutSeconds = 60;
            c.auth.throttleDelaySeconds = 0;
        });
                SmtpWire wire = SmtpWire.connect(server.mxPort())) {
            wire.reply();
            wire.command("EHLO client.test");
            assertThat(wire.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
            assertThat(wire.command("RCPT TO:<postmaster@posthorn.test>")).startsWith("250 ");
            wire.send("BDAT 1000 LAST\r\nSubject: stalled\r\n\r\n");
            wire.socket().setSoTimeout(10_000);
            long started = System.nanoTime();
            assertThat(wire.reply()).isEqualTo(TIMEOUT);
            assertThat((System.nanoTime() - started) / 1_000_000).isBetween(800L, 4_000L);
        }
    }
}
