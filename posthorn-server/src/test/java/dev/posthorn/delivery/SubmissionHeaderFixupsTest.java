package dev.posthorn.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.smtp.protocol.ListenerRole;
import dev.posthorn.store.UserStore;
import dev.posthorn.testing.RunningServer;
import dev.posthorn.testing.SmtpWire;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * RFC 6409 §8.2-8.3: a submission server adds Message-ID and Date to a message that lacks them, with DATA and
 * with BDAT; the MX port leaves messages as they came. The messages wait in the queue (the test server's
 * next hop refuses connections), where their bytes are read.
 */
@Timeout(60)
class SubmissionHeaderFixupsTest {

    @TempDir
    static Path dir;
    static RunningServer server;

    @BeforeAll
    static void start() {
        UserStore.open(dir).add("alice@posthorn.test", "wonderland".toCharArray());
        server = RunningServer.start(dir);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static SmtpWire authenticated() throws Exception {
        return SmtpWire.submitting(server.port(ListenerRole.SUBMISSION), "alice@posthorn.test", "wonderland");
    }

    private static String queued(String reply) throws Exception {
        assertThat(reply).startsWith("250 2.0.0 Ok: queued as ");
        String id = reply.substring("250 2.0.0 Ok: queued as ".length()).trim();
        return Files.readString(dir.resolve("queue").resolve(id + ".msg"), StandardCharsets.UTF_8);
    }

    @Test
    void dataWithoutMessageIdAndDateGetsBothBeforeTheHeader() throws Exception {
        try (SmtpWire wire = authenticated()) {
            wire.command("MAIL FROM:<alice@posthorn.test>");
            wire.command("RCPT TO:<friend@remote.example>");
            assertThat(wire.command("DATA")).startsWith("354");
            String msg = queued(wire.command("From: alice@posthorn.test\r\nSubject: no id\r\n\r\nbody\r\n."));
            assertThat(msg).containsPattern("\r\nMessage-ID: <[0-9a-f-]{36}@mx\\.posthorn\\.test>\r\nDate: [^\r\n]+\r\n"
                    + "From: alice@posthorn\\.test\r\nSubject: no id\r\n\r\nbody\r\n$");
        }
    }

    @Test
    void bdatWithAMessageIdGetsOnlyTheDate() throws Exception {
        String content = "Message-ID: <given@client.test>\r\nSubject: chunked\r\n\r\nbody\r\n";
        try (SmtpWire wire = authenticated()) {
            wire.command("MAIL FROM:<alice@posthorn.test>");
            wire.command("RCPT TO:<friend@remote.example>");
            wire.send("BDAT " + content.length() + " LAST\r\n" + content);
            String msg = queued(wire.reply());
            assertThat(msg).containsPattern("\r\nDate: [^\r\n]+\r\nMessage-ID: <given@client\\.test>\r\n")
                    .doesNotContain("@mx.posthorn.test>");
        }
    }

    @Test
    void theMxPortLeavesMessagesAsTheyCame() throws Exception {
        try (SmtpWire wire = SmtpWire.connect(server.mxPort())) {
            wire.reply();
            wire.command("EHLO client.test");
            wire.command("MAIL FROM:<someone@elsewhere.test>");
            assertThat(wire.command("RCPT TO:<postmaster@posthorn.test>")).startsWith("250");
            wire.command("DATA");
            assertThat(wire.command("Subject: as is\r\n\r\nbody\r\n.")).startsWith("250");
        }
        String delivered = Files.readString(server.awaitMessages("postmaster@posthorn.test", 1, 10_000).get(0),
                StandardCharsets.UTF_8);
        assertThat(delivered).doesNotContain("Message-ID:").doesNotContain("\r\nDate:");
    }
}
