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
 * <p>Messages enter Posthorn's queue through the embedding API ({@link PosthornServer#enqueue}) because
 * submission with AUTH on 2587 is not on main yet; once it is, this test should submit over 2587.
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
        c.listen.mxPort = 0;
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

        List<String> delivered = postfix.awaitDelivered(2, Duration.ofSeconds(60));
        String gotEightBit = delivered.stream().filter(m -> m.contains("8bit-1@")).findFirst().orElseThrow();
        String gotUtf8 = delivered.stream().filter(m -> m.contains("utf8-1@")).findFirst().orElseThrow();
        assertThat(asSent(gotEightBit)).endsWith(eightBit).contains("Return-Path: <alice@posthorn.test>");
        assertThat(asSent(gotUtf8)).endsWith(utf8).contains("Return-Path: <jöran@posthorn.test>");
        assertThat(postfix.log()).contains("from=<jöran@posthorn.test>", "status=sent (delivered to maildir)");
    }
}
