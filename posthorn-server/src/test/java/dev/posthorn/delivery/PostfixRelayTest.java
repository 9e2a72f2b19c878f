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
 * <p>Messages enter Posthorn by submission (STARTTLS and AUTH on the submission port, Angus Mail and Python's
 * smtplib), over SMTP on the MX port for a route-configured (relay) domain, and through the embedding API
 * ({@link PosthornServer#enqueue}).
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
        c.listen.submissionPort = dev.posthorn.delivery.fixtures.Ports.free();
        c.listen.smtpsPort = 0;
        dev.posthorn.store.UserStore.open(dir.resolve("posthorn")).add("alice@posthorn.test", "wonderland".toCharArray());
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

    /** A message whose Message-ID Angus Mail leaves alone, so the bytes it sends are known in advance. */
    private static final class FixedIdMessage extends jakarta.mail.internet.MimeMessage {
        FixedIdMessage(jakarta.mail.Session session) {
            super(session);
        }

        @Override
        protected void updateMessageID() {
            // Keep the Message-ID set by the test.
        }
    }

    @Test
    void aMessageSubmittedWithAuthOverTheSubmissionPortArrivesIntactIncludingSmtputf8() throws Exception {
        java.util.Properties props = new java.util.Properties();
        props.put("mail.smtp.host", "127.0.0.1");
        props.put("mail.smtp.port", String.valueOf(posthorn.port(dev.posthorn.smtp.protocol.ListenerRole.SUBMISSION)));
        props.put("mail.smtp.localhost", "client.test");
        props.put("mail.smtp.auth", "true");
        props.put("mail.smtp.starttls.enable", "true");
        props.put("mail.smtp.starttls.required", "true");
        props.put("mail.smtp.ssl.trust", "*");
        props.put("mail.smtp.ssl.checkserveridentity", "false"); // a self-signed certificate for mx.posthorn.test
        props.put("mail.mime.allowutf8", "true");
        props.put("mail.smtp.allow8bitmime", "true");
        props.put("mail.smtp.timeout", "10000");
        jakarta.mail.Session session = jakarta.mail.Session.getInstance(props);
        FixedIdMessage m = new FixedIdMessage(session);
        m.setFrom("Alice <alice@posthorn.test>");
        m.setRecipients(jakarta.mail.Message.RecipientType.TO, "Bob <bob@remote.test>, Bøb <bøb@remote.test>");
        m.setHeader("Subject", "Grüße, unencoded");
        m.setHeader("Message-ID", "<submitted-1@posthorn.test>");
        m.setSentDate(new java.util.Date(1_795_000_000_000L));
        m.setText("Grüße aus Köln\n.leading dot\n東京\n", "UTF-8");
        m.setHeader("Content-Transfer-Encoding", "8bit");
        m.saveChanges();
        java.io.ByteArrayOutputStream sent = new java.io.ByteArrayOutputStream();
        m.writeTo(sent);
        jakarta.mail.Transport.send(m, "alice@posthorn.test", "wonderland");

        String expected = sent.toString(StandardCharsets.UTF_8);
        String got = postfix.awaitMessageContaining("submitted-1@posthorn.test", Duration.ofSeconds(60));
        // Maildir stores LF line ends; Angus wrote the body with LF and sent it with CRLF: compare in LF form.
        assertThat(got).endsWith(expected.replace("\r\n", "\n")).contains("Return-Path: <alice@posthorn.test>",
                "by mx.posthorn.test");
        java.time.Instant deadline = java.time.Instant.now().plusSeconds(30);
        while (!postfix.log().contains("to=<bøb@remote.test>") && java.time.Instant.now().isBefore(deadline)) {
            Thread.sleep(100);
        }
        assertThat(postfix.log()).contains("to=<bøb@remote.test>", "to=<bob@remote.test>");
    }

    @Test
    void submittedMailWithoutMessageIdAndDateGetsBoth() throws Exception {
        String script = """
                import smtplib, ssl, sys
                s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), local_hostname='client.test', timeout=20)
                s.starttls(context=ssl._create_unverified_context())
                s.login('alice@posthorn.test', 'wonderland')
                s.sendmail('alice@posthorn.test', ['bob@remote.test'],
                           b'From: alice@posthorn.test\\r\\nTo: bob@remote.test\\r\\nSubject: bare-submission\\r\\n\\r\\nno id, no date\\r\\n')
                s.quit()
                """;
        Process p = new ProcessBuilder("python3", "-c", script,
                String.valueOf(posthorn.port(dev.posthorn.smtp.protocol.ListenerRole.SUBMISSION))).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        String got = postfix.awaitMessageContaining("bare-submission", Duration.ofSeconds(60));
        assertThat(got).containsPattern("\nMessage-ID: <[0-9a-f-]{36}@mx\\.posthorn\\.test>\n")
                .containsPattern("\nDate: \\w{3}, \\d{1,2} \\w{3} \\d{4} \\d\\d:\\d\\d:\\d\\d [+-]\\d{4}\n");
        assertThat(got.indexOf("Message-ID:")).isLessThan(got.indexOf("Subject: bare-submission"));
    }
}
