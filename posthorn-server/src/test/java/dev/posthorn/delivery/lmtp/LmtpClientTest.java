package dev.posthorn.delivery.lmtp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.delivery.fixtures.DovecotServer;
import dev.posthorn.delivery.lmtp.RecipientResult.Stage;
import dev.posthorn.delivery.lmtp.RecipientResult.Status;
import dev.posthorn.delivery.remote.ClientSettings;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The LMTP client against a real Dovecot LMTP server (Debian's dovecot-lmtpd, a private instance on loopback), over
 * TCP and over its Unix socket. Dovecot stores each message as it got it, with LF line ends, below the header
 * fields it adds: Return-Path, Received, and Delivered-To when the transaction had one recipient.
 */
@Timeout(60)
class LmtpClientTest {

    private static final ClientSettings SETTINGS = ClientSettings.uniform("client.test", Duration.ofSeconds(10));
    private static final String SENDER = "sender@origin.test";

    @TempDir
    static Path dir;
    static DovecotServer dovecot;

    @BeforeAll
    static void startDovecot() throws Exception {
        dovecot = DovecotServer.in(dir).quota()
                .user("alice@example.test", "secret")
                .user("bob@example.test", "secret")
                .user("small@example.test", "secret", "userdb_quota_rule=*:storage=1K")
                .start();
    }

    @AfterAll
    static void stopDovecot() throws Exception {
        if (dovecot != null) {
            dovecot.close();
        }
    }

    private static LmtpEndpoint tcp() {
        return LmtpEndpoint.parse("lmtp:127.0.0.1:" + dovecot.lmtpPort());
    }

    private static LmtpEndpoint unix() {
        return LmtpEndpoint.parse("lmtp:unix:" + dovecot.lmtpSocket());
    }

    /** A message with a marker that finds it in the mailboxes, lines ending in CRLF as the spool keeps them. */
    private static String message(String marker, String body) {
        return "Received: from mx.posthorn.test by mx.posthorn.test with ESMTP id " + marker + "\r\n"
                + "From: Sender <" + SENDER + ">\r\nTo: alice@example.test\r\nSubject: " + marker + "\r\n"
                + "Message-ID: <" + marker + "@origin.test>\r\n\r\n" + body;
    }

    private static String marker() {
        return "m" + UUID.randomUUID().toString().replace("-", "");
    }

    /** The one message in the user's Maildir that contains {@code marker}, as stored. */
    private static String stored(String user, String marker) throws IOException {
        List<String> found = storedAll(user, marker);
        assertThat(found).as("messages with %s for %s; Dovecot log:\n%s", marker, user, dovecot.log()).hasSize(1);
        return found.get(0);
    }

    private static List<String> storedAll(String user, String marker) throws IOException {
        Path box = dir.resolve("mail/example.test").resolve(user);
        List<String> found = new ArrayList<>();
        for (String sub : List.of("new", "cur")) {
            if (!Files.isDirectory(box.resolve(sub))) {
                continue;
            }
            try (Stream<Path> files = Files.list(box.resolve(sub))) {
                for (Path f : files.toList()) {
                    String text = Files.readString(f, StandardCharsets.UTF_8);
                    if (text.contains(marker)) {
                        found.add(text);
                    }
                }
            }
        }
        return found;
    }

    /**
     * What Dovecot adds on top (2.3.19): Return-Path, Delivered-To for a lone recipient, and its Received field,
     * which names the LHLO host, says "with LMTP" and, for a lone recipient, "for <address>".
     */
    private static String stripDovecotHeaders(String stored, String rcptIfAlone) {
        String deliveredTo = rcptIfAlone == null ? "" : "Delivered-To: " + Pattern.quote(rcptIfAlone) + "\n";
        String forClause = rcptIfAlone == null ? "" : "\n\tfor <" + Pattern.quote(rcptIfAlone) + ">";
        Pattern added = Pattern.compile("^Return-Path: <" + Pattern.quote(SENDER) + ">\n" + deliveredTo
                + "Received: from client\\.test(?: \\(\\[127\\.0\\.0\\.1\\]\\))?\n\tby dovecot\\.test with LMTP\n\tid \\S+\n"
                + "\t\\(envelope-from <" + Pattern.quote(SENDER) + ">\\)" + forClause
                + "; \\w{3}, \\d{2} \\w{3} \\d{4} \\d{2}:\\d{2}:\\d{2} [+-]\\d{4}\n");
        Matcher m = added.matcher(stored);
        assertThat(m.find()).as("Dovecot's header fields on top of:\n%s", stored).isTrue();
        return stored.substring(m.end());
    }

    private static String lf(String crlf) {
        return crlf.replace("\r\n", "\n");
    }

    private static List<RecipientResult> deliver(LmtpEndpoint endpoint, String content, String... rcpts) throws Exception {
        try (LmtpClient client = new LmtpClient(endpoint, SETTINGS)) {
            return client.deliver(LmtpMessage.of(SENDER, List.of(rcpts), content.getBytes(StandardCharsets.UTF_8)));
        }
    }

    @Test
    void twoRecipientsOverTcpEachGetTheMessageByteForByte() throws Exception {
        String marker = marker();
        String content = message(marker, "Hello both.\r\n");
        List<RecipientResult> results = deliver(tcp(), content, "alice@example.test", "bob@example.test");

        assertThat(results).extracting(RecipientResult::recipient).containsExactly("alice@example.test", "bob@example.test");
        assertThat(results).allSatisfy(r -> {
            assertThat(r.status()).isEqualTo(Status.DELIVERED);
            assertThat(r.stage()).isEqualTo(Stage.DELIVERY);
            assertThat(r.reply().code()).isEqualTo(250);
            assertThat(r.reply().enhanced()).isEqualTo("2.0.0");
            // Dovecot names the recipient in its own reply: proof the replies are matched in order.
            assertThat(r.reply().lines().get(0)).matches("2\\.0\\.0 <" + r.recipient() + "> \\S+ Saved");
        });
        assertThat(stripDovecotHeaders(stored("alice", marker), null)).isEqualTo(lf(content));
        assertThat(stripDovecotHeaders(stored("bob", marker), null)).isEqualTo(lf(content));
    }

    @Test
    void theUnixSocketCarriesTheSameTransaction() throws Exception {
        String marker = marker();
        String content = message(marker, "Over the socket.\r\n");
        List<RecipientResult> results = deliver(unix(), content, "alice@example.test");

        assertThat(results).singleElement().satisfies(r -> assertThat(r.status()).isEqualTo(Status.DELIVERED));
        assertThat(stripDovecotHeaders(stored("alice", marker), "alice@example.test")).isEqualTo(lf(content));
    }

    @Test
    void anUnknownRecipientIsRefusedAtRcptWithItsExactReplyAndTheOthersAreDelivered() throws Exception {
        String marker = marker();
        List<RecipientResult> results = deliver(tcp(), message(marker, "Hi.\r\n"),
                "nobody@example.test", "alice@example.test");

        RecipientResult nobody = results.get(0);
        assertThat(nobody.stage()).isEqualTo(Stage.RCPT);
        assertThat(nobody.status()).isEqualTo(Status.BOUNCED);
        assertThat(nobody.reply().oneLine())
                .isEqualTo("550 5.1.1 <nobody@example.test> User doesn't exist: nobody@example.test");
        assertThat(results.get(1).status()).isEqualTo(Status.DELIVERED);
        stored("alice", marker);
    }

    @Test
    void aFullMailboxBouncesOnlyItsOwnRecipientAfterTheData() throws Exception {
        String marker = marker();
        // 3 KB against small's 1 KB quota: Dovecot decides per recipient after the data (RFC 2033 §4.2).
        String content = message(marker, "x".repeat(70).concat("\r\n").repeat(40));
        List<RecipientResult> results = deliver(tcp(), content, "small@example.test", "alice@example.test",
                "bob@example.test");

        assertThat(results).extracting(RecipientResult::status)
                .containsExactly(Status.BOUNCED, Status.DELIVERED, Status.DELIVERED);
        // Each reply after the data names its recipient (Dovecot's habit): each landed with the right one.
        assertThat(results).allSatisfy(r -> assertThat(r.reply().lines().get(0)).contains("<" + r.recipient() + ">"));
        RecipientResult small = results.get(0);
        assertThat(small.stage()).isEqualTo(Stage.DELIVERY);
        assertThat(small.reply().oneLine())
                .isEqualTo("552 5.2.2 <small@example.test> Quota exceeded (mailbox for user is full)");
        assertThat(storedAll("small", marker)).isEmpty();
        stored("alice", marker);
        stored("bob", marker);
    }

    @Test
    void linesThatStartWithADotAndAnOpenLastLineArriveIntact() throws Exception {
        String marker = marker();
        String body = ".\r\n..\r\n.starts with a dot\r\n\r\n.\r\nbare LF\nends without a line break";
        List<RecipientResult> results = deliver(unix(), message(marker, body), "bob@example.test");

        assertThat(results.get(0).status()).isEqualTo(Status.DELIVERED);
        // Sent with every line ended by CRLF (the last one too), stored by Dovecot with LF.
        assertThat(stripDovecotHeaders(stored("bob", marker), "bob@example.test"))
                .isEqualTo(lf(message(marker, body)).concat("\n"));
    }

    @Test
    void anEightBitBodyIsStoredOctetForOctet() throws Exception {
        String marker = marker();
        String content = message(marker, "Grüße aus Köln, ağaç, 日本語\r\n");
        List<RecipientResult> results = deliver(tcp(), content, "alice@example.test");

        assertThat(results.get(0).status()).isEqualTo(Status.DELIVERED);
        byte[] stored = stripDovecotHeaders(stored("alice", marker), "alice@example.test").getBytes(StandardCharsets.UTF_8);
        assertThat(stored).isEqualTo(lf(content).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void withoutSmtputf8AtDovecotANonAsciiAddressIsRefusedHereAndTheRestDelivered() throws Exception {
        String marker = marker();
        byte[] octets = message(marker, "Body in UTF-8: çğıöşü\r\n").getBytes(StandardCharsets.UTF_8);
        LmtpMessage m = new LmtpMessage(SENDER, List.of("çiğdem@example.test", "alice@example.test"), octets.length,
                true, true, LmtpMessage.Content.of(octets));
        List<RecipientResult> results;
        try (LmtpClient client = new LmtpClient(tcp(), SETTINGS)) {
            results = client.deliver(m);
        }

        assertThat(results.get(0).stage()).isEqualTo(Stage.LOCAL);
        assertThat(results.get(0).reply().code()).isEqualTo(553);
        assertThat(results.get(0).reply().enhanced()).isEqualTo("5.6.7");
        // ASCII addresses and header fields: nothing in it needs SMTPUTF8 (RFC 6531 §3.2), so it goes without.
        assertThat(results.get(1).status()).isEqualTo(Status.DELIVERED);
        stored("alice", marker);
    }

    @Test
    void aNonAsciiHeaderNeedsSmtputf8SoNoRecipientIsSentToDovecot() throws Exception {
        String marker = marker();
        byte[] octets = ("Subject: " + marker + " Grüße\r\n\r\nbody\r\n").getBytes(StandardCharsets.UTF_8);
        LmtpMessage m = new LmtpMessage(SENDER, List.of("alice@example.test"), octets.length, true, true,
                LmtpMessage.Content.of(octets));
        List<RecipientResult> results;
        try (LmtpClient client = new LmtpClient(tcp(), SETTINGS)) {
            results = client.deliver(m);
        }

        assertThat(results).singleElement().satisfies(r -> {
            assertThat(r.stage()).isEqualTo(Stage.LOCAL);
            assertThat(r.status()).isEqualTo(Status.BOUNCED);
            assertThat(r.reply().oneLine()).startsWith("554 5.6.7 ").contains("does not support SMTPUTF8");
        });
        assertThat(storedAll("alice", marker)).isEmpty();
    }

    @Test
    void oneConnectionCarriesTwoTransactions() throws Exception {
        String first = marker();
        String second = marker();
        try (LmtpSession session = LmtpSession.open(tcp(), SETTINGS)) {
            assertThat(session.greeting().oneLine()).isEqualTo("220 dovecot.test Dovecot (Debian) ready.");
            assertThat(session.supports("PIPELINING")).isTrue();
            assertThat(session.deliver(LmtpMessage.of(SENDER, List.of("alice@example.test"),
                    message(first, "one\r\n").getBytes(StandardCharsets.UTF_8))).get(0).status()).isEqualTo(Status.DELIVERED);
            // The second goes after a pipelined RSET on the same connection.
            List<RecipientResult> again = session.deliver(LmtpMessage.of(SENDER,
                    List.of("bob@example.test", "nobody@example.test"), message(second, "two\r\n").getBytes(StandardCharsets.UTF_8)));
            assertThat(again).extracting(RecipientResult::status).containsExactly(Status.DELIVERED, Status.BOUNCED);
            assertThat(session.transactions()).isEqualTo(2);
            assertThat(session.isUsable()).isTrue();
            session.quit();
        }
        stored("alice", first);
        stored("bob", second);
    }

    @Test
    void aKeptTcpConnectionClosedByADovecotReloadIsReplacedWithoutDeferring() throws Exception {
        deliverAcrossAReload(tcp());
    }

    @Test
    void aKeptUnixConnectionClosedByADovecotReloadIsReplacedWithoutDeferring() throws Exception {
        deliverAcrossAReload(unix());
    }

    /** At a reload Dovecot writes "421 4.3.2 ... Shutting down" to idle LMTP connections and closes them. */
    private static void deliverAcrossAReload(LmtpEndpoint endpoint) throws Exception {
        String first = marker();
        String second = marker();
        try (LmtpClient client = new LmtpClient(endpoint, SETTINGS)) {
            assertThat(client.deliver(LmtpMessage.of(SENDER, List.of("alice@example.test"),
                    message(first, "before\r\n").getBytes(StandardCharsets.UTF_8))).get(0).status())
                    .isEqualTo(Status.DELIVERED);
            dovecot.reload();
            List<RecipientResult> after = client.deliver(LmtpMessage.of(SENDER, List.of("alice@example.test"),
                    message(second, "after\r\n").getBytes(StandardCharsets.UTF_8)));
            assertThat(after).singleElement().satisfies(r -> {
                assertThat(r.status()).as(r.toString()).isEqualTo(Status.DELIVERED);
                assertThat(r.stage()).isEqualTo(Stage.DELIVERY);
            });
        }
        stored("alice", first);
        stored("alice", second);
    }

    @Test
    void dovecotKilledInTheMiddleOfTheDataDefersEveryRecipient() throws Exception {
        String marker = marker();
        byte[] octets = message(marker, "y".repeat(998).concat("\r\n").repeat(2000)).getBytes(StandardCharsets.UTF_8);
        CountDownLatch halfway = new CountDownLatch(1);
        CountDownLatch killed = new CountDownLatch(1);
        // A body that stops half-way until the test has killed Dovecot's LMTP process serving this connection.
        LmtpMessage m = new LmtpMessage(SENDER, List.of("alice@example.test", "bob@example.test"), octets.length,
                false, false, () -> new PausingStream(octets, octets.length / 2, halfway, killed));
        AtomicInteger killedProcesses = new AtomicInteger();
        Thread.ofVirtual().start(() -> {
            try {
                if (halfway.await(30, TimeUnit.SECONDS)) {
                    killedProcesses.set(dovecot.killLmtpProcesses());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                killed.countDown();
            }
        });
        List<RecipientResult> results;
        try (LmtpSession session = LmtpSession.open(tcp(), SETTINGS)) {
            results = session.deliver(m);
            assertThat(session.isUsable()).isFalse();
        }

        assertThat(killedProcesses.get()).as("LMTP processes killed").isPositive();
        // The rest of the data and the final dot may still fit in the socket's send buffer after the kill: then
        // the dot counts as sent and the client cannot know whether the server delivered (UNCONFIRMED); if the
        // reset came first, nothing can have been delivered (CONNECTION). Either way every recipient is deferred.
        assertThat(results).hasSize(2).allSatisfy(r -> {
            assertThat(r.stage()).isIn(Stage.CONNECTION, Stage.UNCONFIRMED);
            assertThat(r.status()).isEqualTo(Status.DEFERRED);
            assertThat(r.reply().code()).isEqualTo(451);
            assertThat(r.reply().enhanced()).isEqualTo("4.4.2");
        });
        assertThat(results).extracting(RecipientResult::stage).as("one fate for the whole transaction").containsOnly(
                results.get(0).stage());
        assertThat(storedAll("alice", marker)).isEmpty();
        assertThat(storedAll("bob", marker)).isEmpty();
    }

    /** Gives {@code pauseAt} octets, then waits for {@code resume} before the rest. */
    private static final class PausingStream extends InputStream {
        private final InputStream in;
        private final int pauseAt;
        private final CountDownLatch reached;
        private final CountDownLatch resume;
        private int given;

        PausingStream(byte[] octets, int pauseAt, CountDownLatch reached, CountDownLatch resume) {
            this.in = new ByteArrayInputStream(octets);
            this.pauseAt = pauseAt;
            this.reached = reached;
            this.resume = resume;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (given == pauseAt) {
                reached.countDown();
                try {
                    if (!resume.await(30, TimeUnit.SECONDS)) {
                        throw new IOException("the test never resumed the body");
                    }
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
            }
            int n = in.read(b, off, given < pauseAt ? Math.min(len, pauseAt - given) : len);
            given += Math.max(n, 0);
            return n;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }
    }
}
