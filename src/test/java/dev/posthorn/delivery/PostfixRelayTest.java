package dev.posthorn.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.config.PosthornConfig;
import dev.posthorn.delivery.fixtures.PostfixServer;
import dev.posthorn.server.PosthornServer;
import dev.posthorn.spool.EnvelopeRecipient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interoperability: Posthorn delivers to a real Postfix (Debian's package) on loopback, which stores into a
 * Maildir; headers, body, 8-bit and SMTPUTF8 content must arrive byte for byte.
 *
 * <p>Messages enter Posthorn over SMTP on the MX port for a route-configured (relay) domain, and through the
 * embedding API ({@link PosthornServer#enqueue}) for exact bytes. Submission with AUTH on 2587 is not on main yet;
 * once it is, the SMTP case should submit over 2587 with AUTH.
 */
@Timeout(120)
class PostfixRelayTest {

    @TempDir
    static Path dir;
    static PostfixServer postfix;
    static PosthornServer posthorn;

    @BeforeAll
    static void start() throws Exception {
        postfix = PostfixServer.start(Files.createDirectories(dir.resolve("postfix")), "remote.test");
        PosthornConfig c = new PosthornConfig();
        c.server.hostname = "mx.posthorn.test";
        c.server.dataDir = dir.resolve("posthorn").toString();
        c.server.domains = new ArrayList<>(List.of("posthorn.test"));
        c.listen.mxPort = dev.posthorn.delivery.fixtures.Ports.free();
        c.routes.put("remote.test", "127.0.0.1:" + postfix.port());
        posthorn = PosthornServer.start(c);
    }

    @AfterAll
    static void stop() throws Exception {
        if (posthorn != null) {
            posthorn.close();
        }
        if (postfix != null) {
            postfix.close();
        }
    }

    /** What Postfix stored, minus the trace fields it adds on top, with CRLF as on the wire. */
    private static String asSent(String stored) {
        String crlf = stored.replace("\n", "\r\n");
        return crlf;
    }

    @Test
    void eightBitAndSmtputf8MessagesArriveIntact() throws Exception {
        String eightBit = "From: Alice <alice@posthorn.test>\r\nTo: Bob <bob@remote.test>\r\n"
                + "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\nMessage-ID: <8bit-1@posthorn.test>\r\n"
                + "Date: Sat, 28 Nov 2026 14:00:00 +0000\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                + "Grüße aus Köln, 東京 too.\r\n.Leading dot survives.\r\n\r\n-- \r\nAlice\r\n";
        String utf8 = "From: Jöran <jöran@posthorn.test>\r\nTo: Bob <bob@remote.test>\r\n"
                + "Subject: Grüße ohne Kodierung\r\nMessage-ID: <utf8-1@posthorn.test>\r\n"
                + "Date: Sat, 28 Nov 2026 14:00:00 +0000\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                + "Ünïcödé everywhere.\r\n";
        posthorn.enqueue("alice@posthorn.test", List.of("bob@remote.test"), eightBit.getBytes(StandardCharsets.UTF_8));
        posthorn.enqueue("jöran@posthorn.test", List.of(new EnvelopeRecipient("bob@remote.test", Set.of(), null, false)),
                null, null, true, utf8.getBytes(StandardCharsets.UTF_8));

        String gotEightBit = postfix.awaitMessageContaining("8bit-1@", Duration.ofSeconds(60));
        String gotUtf8 = postfix.awaitMessageContaining("utf8-1@", Duration.ofSeconds(60));
        assertThat(asSent(gotEightBit)).endsWith(eightBit).contains("Return-Path: <alice@posthorn.test>");
        assertThat(asSent(gotUtf8)).endsWith(utf8).contains("Return-Path: <jöran@posthorn.test>");
        assertThat(postfix.log()).contains("from=<jöran@posthorn.test>", "status=sent (delivered to maildir)");
    }

    @Test
    void aMessageSentOverSmtpWithAngusMailIsRelayedToPostfix() throws Exception {
        java.util.Properties props = new java.util.Properties();
        props.put("mail.smtp.host", "127.0.0.1");
        props.put("mail.smtp.port", String.valueOf(posthorn.port(dev.posthorn.smtp.protocol.ListenerRole.MX)));
        props.put("mail.smtp.localhost", "client.test");
        props.put("mail.mime.allowutf8", "true");
        props.put("mail.smtp.allow8bitmime", "true");
        props.put("mail.smtp.timeout", "10000");
        jakarta.mail.Session session = jakarta.mail.Session.getInstance(props);
        jakarta.mail.internet.MimeMessage m = new jakarta.mail.internet.MimeMessage(session);
        m.setFrom("Carol <carol@client.test>");
        m.setRecipients(jakarta.mail.Message.RecipientType.TO, "bob@remote.test");
        m.setSubject("Über SMTP", "UTF-8");
        m.setHeader("Message-ID", "<smtp-1@client.test>");
        m.setText("Straße 8-bit body über SMTP\n", "UTF-8");
        m.setHeader("Content-Transfer-Encoding", "8bit");
        jakarta.mail.Transport.send(m);

        String got = postfix.awaitMessageContaining("Straße 8-bit body", Duration.ofSeconds(60));
        assertThat(got).contains("Return-Path: <carol@client.test>", "by mx.posthorn.test", "From: Carol <carol@client.test>",
                "Straße 8-bit body über SMTP");
    }
}
