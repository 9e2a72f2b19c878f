package dev.posthorn.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.cli.Main;
import dev.posthorn.testing.RunningServer;
import dev.posthorn.testing.SmtpWire;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Users created with {@code posthorn user add} while the server runs receive mail without a restart. */
class LiveUsersTest {

    @TempDir
    Path dataDir;

    @Test
    void userAddedWhileRunningReceivesMailAtOnce() throws Exception {
        try (RunningServer server = RunningServer.start(dataDir);
                SmtpWire wire = SmtpWire.connect(server.mxPort())) {
            wire.reply();
            wire.command("EHLO client.test");
            wire.command("MAIL FROM:<a@example.org>");
            assertThat(wire.command("RCPT TO:<carol@posthorn.test>"))
                    .isEqualTo("550 5.1.1 <carol@posthorn.test>: Recipient address rejected: User unknown");

            int exit = Main.commandLine().execute("user", "add", "carol@posthorn.test", "--no-password",
                    "--data-dir", dataDir.toString());
            assertThat(exit).isZero();
            int alias = Main.commandLine().execute("user", "alias", "carol@posthorn.test", "c.smith@posthorn.test",
                    "--data-dir", dataDir.toString());
            assertThat(alias).isZero();

            assertThat(wire.command("RCPT TO:<Carol@Posthorn.TEST>")).isEqualTo("250 2.1.5 Recipient OK");
            assertThat(wire.command("RCPT TO:<c.smith@posthorn.test>")).isEqualTo("250 2.1.5 Recipient OK");
            assertThat(wire.command("DATA")).startsWith("354");
            assertThat(wire.command("Subject: welcome\r\n\r\nhi carol\r\n.")).startsWith("250 2.0.0 Ok: queued as ");

            // Both addresses name one account: one mailbox, and one copy of the message in it.
            var delivered = server.awaitMessages("carol@posthorn.test", 1, 5000);
            // A second copy would have been delivered before a later message, the sentinel, is.
            assertThat(wire.command("MAIL FROM:<sentinel@example.org>")).startsWith("250 ");
            assertThat(wire.command("RCPT TO:<carol@posthorn.test>")).startsWith("250 ");
            assertThat(wire.command("DATA")).startsWith("354");
            assertThat(wire.command("Subject: sentinel\r\n\r\nx\r\n.")).startsWith("250 2.0.0 Ok: queued as ");
            assertThat(server.awaitMessageContaining("carol@posthorn.test", "Subject: sentinel", 10_000)).hasSize(2);
            assertThat(Files.readString(delivered.get(0))).contains("Delivered-To: carol@posthorn.test");
        }
    }
}
