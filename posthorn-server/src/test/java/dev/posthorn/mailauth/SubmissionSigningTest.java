package dev.posthorn.mailauth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.mailauth.dkim.DkimAlgorithm;
import dev.posthorn.mailauth.dkim.DkimKeys;
import dev.posthorn.smtp.protocol.ListenerRole;
import dev.posthorn.store.UserStore;
import dev.posthorn.testing.RunningServer;
import dev.posthorn.testing.SmtpWire;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * DKIM signing of submitted mail follows the author the user may write as: a server hosting two domains, each
 * with its key, never signs alice@posthorn.test's mail for other.test, whatever the From field's shape
 * (a comment holding her address, a quoted local part, a From behind a large header). Signing needs no DNS,
 * so this server has none.
 */
@Timeout(120)
class SubmissionSigningTest {

    @TempDir
    static Path dir;
    static RunningServer server;

    @BeforeAll
    static void start() throws Exception {
        Path data = Files.createDirectories(dir.resolve("server"));
        DkimKeys keys = DkimKeys.under(data);
        keys.generate("other.test", "o1", DkimAlgorithm.ED25519_SHA256);
        keys.generate("posthorn.test", "p1", DkimAlgorithm.ED25519_SHA256);
        UserStore.open(data).add("alice@posthorn.test", "pw".toCharArray());
        // Sender binding off: it refuses these From fields itself (553), and signing must hold without it, for a
        // deployment that turns binding off (a shared mailbox, a gateway) must still not sign for another domain.
        server = RunningServer.start(data, c -> {
            c.server.domains = List.of("localhost", "posthorn.test", "other.test");
            c.auth.senderBinding = false;
        });
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** Submits as alice@posthorn.test (MAIL FROM her own address); returns the stored message's header. */
    static String submitAsAlice(String subject, String header) throws Exception {
        String message = header + "To: postmaster@posthorn.test\r\nSubject: " + subject + "\r\n\r\nWire the money.\r\n";
        try (SmtpWire tls = SmtpWire.submitting(server.port(ListenerRole.SUBMISSION), "alice@posthorn.test", "pw")) {
            assertThat(tls.command("MAIL FROM:<alice@posthorn.test>")).startsWith("250");
            assertThat(tls.command("RCPT TO:<postmaster@posthorn.test>")).startsWith("250");
            assertThat(tls.command("DATA")).startsWith("354");
            tls.send(message + ".\r\n");
            assertThat(tls.reply()).startsWith("250 2.0.0 Ok: queued as ");
        }
        long deadline = System.currentTimeMillis() + 20_000;
        while (System.currentTimeMillis() < deadline) {
            for (Path file : server.messages("postmaster@posthorn.test")) {
                String text = Dkimpy.latin1(Files.readAllBytes(file));
                if (text.contains("\r\nSubject: " + subject + "\r\n")) {
                    return text.substring(0, text.indexOf("\r\n\r\n") + 2);
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("not delivered: " + subject);
    }

    @Test
    void herOwnAddressIsSignedForHerDomain() throws Exception {
        String header = submitAsAlice("own", "From: \"Alice (CEO)\" <alice@posthorn.test>\r\n");
        assertThat(header).contains("DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed; d=posthorn.test; s=p1;")
                .doesNotContain("d=other.test");
    }

    @Test
    void aCommentHoldingHerAddressDoesNotGetAnotherDomainSigned() throws Exception {
        String header = submitAsAlice("comment", "From: ceo@other.test (<alice@posthorn.test>)\r\n");
        assertThat(header).doesNotContain("DKIM-Signature");
    }

    @Test
    void aQuotedLocalPartDoesNotGetAnotherDomainSigned() throws Exception {
        String header = submitAsAlice("quoted", "From: \"ceo\"@other.test\r\n");
        assertThat(header).doesNotContain("DKIM-Signature");
    }

    @Test
    void aQuotedLocalPartHoldingHerAddressIsNotHers() throws Exception {
        String header = submitAsAlice("quoted at", "From: \"alice@posthorn.test\"@other.test\r\n");
        assertThat(header).doesNotContain("DKIM-Signature");
    }

    @Test
    void aFromBehindALargeHeaderIsReadAndNotSignedForAnotherDomain() throws Exception {
        String filler = ("X-Filler: " + "y".repeat(900) + "\r\n").repeat(330); // 300 KiB
        assertThat(submitAsAlice("large other", filler + "From: ceo@other.test\r\n"))
                .doesNotContain("DKIM-Signature");
        // The same header with her own address is read to the end and signed.
        assertThat(submitAsAlice("large own", filler + "From: alice@posthorn.test\r\n"))
                .contains("DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed; d=posthorn.test; s=p1;");
    }
}
