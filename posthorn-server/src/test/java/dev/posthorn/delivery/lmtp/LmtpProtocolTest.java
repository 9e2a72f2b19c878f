package dev.posthorn.delivery.lmtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.posthorn.delivery.fixtures.ScriptedSmtpPeer;
import dev.posthorn.delivery.lmtp.RecipientResult.Stage;
import dev.posthorn.delivery.lmtp.RecipientResult.Status;
import dev.posthorn.delivery.remote.ClientSettings;
import dev.posthorn.delivery.remote.SmtpClientException;
import dev.posthorn.testing.ManualClock;
import java.net.InetAddress;
import java.net.StandardProtocolFamily;
import java.net.UnknownHostException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What Dovecot cannot be made to do on demand, against a scripted LMTP peer: a server that answers some recipients
 * after the data and then hangs up or falls silent, refuses MAIL, announces a SIZE limit, lacks PIPELINING, or
 * drops a kept connection. The peer records every command, so the order on the wire is checked too.
 */
@Timeout(30)
class LmtpProtocolTest {

    private static final ClientSettings SETTINGS = ClientSettings.uniform("client.test", Duration.ofSeconds(5));
    private static final byte[] CONTENT = "Subject: hi\r\n\r\nHello.\r\n".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;
    ScriptedSmtpPeer peer;

    @BeforeEach
    void start() throws Exception {
        peer = ScriptedSmtpPeer.start();
        peer.lmtp = true;
        peer.greeting = "220 lmtp.peer.test LMTP ready";
    }

    @AfterEach
    void stop() throws Exception {
        peer.close();
    }

    private LmtpEndpoint endpoint() {
        return LmtpEndpoint.parse("lmtp:127.0.0.1:" + peer.port());
    }

    private List<RecipientResult> deliver(ClientSettings settings, String... rcpts) throws Exception {
        try (LmtpSession session = LmtpSession.open(endpoint(), settings)) {
            List<RecipientResult> results = session.deliver(LmtpMessage.of("s@origin.test", List.of(rcpts), CONTENT));
            session.quit();
            return results;
        }
    }

    @Test
    void repliesAfterTheDotGoToRecipientsInOrderAndOneThatNeverCameIsDeferred() throws Exception {
        peer.lmtpDataReplies.put("b@peer.test", "452 4.2.2 <b@peer.test> Mailbox full, try later");
        peer.lmtpRepliesBeforeFailure = 2;

        List<RecipientResult> results = deliver(SETTINGS, "a@peer.test", "b@peer.test", "c@peer.test");

        assertThat(results).extracting(RecipientResult::status)
                .containsExactly(Status.DELIVERED, Status.DEFERRED, Status.DEFERRED);
        assertThat(results.get(0).reply().oneLine()).isEqualTo("250 2.0.0 <a@peer.test> Saved");
        assertThat(results.get(1).stage()).isEqualTo(Stage.DELIVERY);
        assertThat(results.get(1).reply().oneLine()).isEqualTo("452 4.2.2 <b@peer.test> Mailbox full, try later");
        // The peer hung up before c's reply: c's fate is unknown, so it is tried again later.
        assertThat(results.get(2).stage()).isEqualTo(Stage.UNCONFIRMED);
        assertThat(results.get(2).reply().oneLine()).startsWith("451 4.4.2 Connection closed by remote");
    }

    @Test
    void aServerSilentAfterTheDotTimesOutForTheRecipientsItDidNotAnswer() throws Exception {
        peer.lmtpRepliesBeforeFailure = 1;
        peer.lmtpStallInsteadOfHangUp = true;
        ClientSettings quick = new ClientSettings("client.test", Duration.ofSeconds(5), Duration.ofSeconds(5),
                Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofMillis(300));

        long start = System.nanoTime();
        List<RecipientResult> results = deliver(quick, "a@peer.test", "b@peer.test");
        long millis = (System.nanoTime() - start) / 1_000_000;

        assertThat(results.get(0).status()).isEqualTo(Status.DELIVERED);
        assertThat(results.get(1).stage()).isEqualTo(Stage.UNCONFIRMED);
        assertThat(results.get(1).reply().oneLine())
                .startsWith("451 4.4.2 Timed out after 300 ms waiting for the reply of the LMTP server at lmtp:127.0.0.1:");
        assertThat(millis).as("returned after the time-out, not after the peer's 60 s stall").isLessThan(10_000);
    }

    @Test
    void aGreetingThatNeverComesTimesOut() {
        peer.replyDelay = Duration.ofSeconds(5);
        ClientSettings quick = new ClientSettings("client.test", Duration.ofSeconds(5), Duration.ofMillis(200),
                Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5));

        assertThatThrownBy(() -> LmtpSession.open(endpoint(), quick))
                .isInstanceOfSatisfying(SmtpClientException.class, e -> assertThat(e.reply().oneLine())
                        .startsWith("451 4.4.2 Timed out after 200 ms waiting for the reply"));
    }

    @Test
    void aConnectThatCannotCompleteTimesOut() throws Exception {
        // A Unix socket whose listener never accepts: once its backlog is full, a blocking connect(2) waits.
        Path socket = dir.resolve("full.sock");
        List<SocketChannel> queued = new ArrayList<>();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket), 1);
            while (queued.size() < 100) {
                SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
                c.configureBlocking(false);
                try {
                    c.connect(UnixDomainSocketAddress.of(socket));
                    queued.add(c);
                } catch (java.io.IOException full) {
                    c.close();
                    break;
                }
            }
            ClientSettings quick = new ClientSettings("client.test", Duration.ofMillis(300), Duration.ofSeconds(5),
                    Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5));

            assertThatThrownBy(() -> LmtpSession.open(LmtpEndpoint.parse("lmtp:unix:" + socket), quick))
                    .isInstanceOfSatisfying(SmtpClientException.class, e -> assertThat(e.reply().oneLine()).isEqualTo(
                            "451 4.4.1 Cannot connect to the LMTP server at lmtp:unix:" + socket + ": timed out after 300 ms"));
        } finally {
            for (SocketChannel c : queued) {
                c.close();
            }
        }
    }

    @Test
    void aRefusedConnectionSaysSo() throws Exception {
        Path socket = dir.resolve("nobody-listens.sock");
        assertThatThrownBy(() -> LmtpSession.open(LmtpEndpoint.parse("lmtp:unix:" + socket), SETTINGS))
                .isInstanceOfSatisfying(SmtpClientException.class, e -> assertThat(e.reply().oneLine())
                        .startsWith("451 4.4.1 Cannot connect to the LMTP server at lmtp:unix:" + socket + ": "));
    }

    @Test
    void pipeliningSendsOneGroupAndAReusedConnectionStartsWithRset() throws Exception {
        try (LmtpSession session = LmtpSession.open(endpoint(), SETTINGS)) {
            session.deliver(LmtpMessage.of("s@origin.test", List.of("a@peer.test", "b@peer.test"), CONTENT));
            session.deliver(LmtpMessage.of("s@origin.test", List.of("c@peer.test"), CONTENT));
            session.quit();
        }

        assertThat(peer.commands).containsExactly("LHLO client.test",
                "MAIL FROM:<s@origin.test> SIZE=" + CONTENT.length, "RCPT TO:<a@peer.test>", "RCPT TO:<b@peer.test>", "DATA",
                "RSET", "MAIL FROM:<s@origin.test> SIZE=" + CONTENT.length, "RCPT TO:<c@peer.test>", "DATA",
                "QUIT");
    }

    @Test
    void withoutPipeliningEachCommandWaitsForItsReplyAndDataIsNotSentWhenNoRecipientIsAccepted() throws Exception {
        peer.extensions.clear();
        peer.extensions.add("8BITMIME");
        peer.rcptReplies.put("x@peer.test", "550 5.1.1 <x@peer.test> User unknown");

        List<RecipientResult> results = deliver(SETTINGS, "x@peer.test");

        assertThat(results).singleElement().satisfies(r -> {
            assertThat(r.stage()).isEqualTo(Stage.RCPT);
            assertThat(r.reply().oneLine()).isEqualTo("550 5.1.1 <x@peer.test> User unknown");
        });
        assertThat(peer.commands).containsExactly("LHLO client.test", "MAIL FROM:<s@origin.test>", "RCPT TO:<x@peer.test>",
                "QUIT");
    }

    @Test
    void dataIsSentWithCrlfLineEndsAndDotStuffingAndEightBitIsDeclared() throws Exception {
        byte[] content = "Subject: dots\r\n\r\n.\r\n..x\nbare LF\rbare CR\r\n.end\r\nÄ no final break"
                .getBytes(StandardCharsets.UTF_8);
        try (LmtpSession session = LmtpSession.open(endpoint(), SETTINGS)) {
            assertThat(session.deliver(LmtpMessage.of("s@origin.test", List.of("a@peer.test"), content)).get(0).status())
                    .isEqualTo(Status.DELIVERED);
        }

        // The peer un-stuffs: what it got is the message with every line ended by CRLF.
        ScriptedSmtpPeer.Received received = peer.take(Duration.ofSeconds(5));
        assertThat(received.text())
                .isEqualTo("Subject: dots\r\n\r\n.\r\n..x\r\nbare LF\r\nbare CR\r\n.end\r\nÄ no final break\r\n");
        // SIZE counts those octets (RFC 1870 §4), 4 more than the content had.
        assertThat(peer.commands).contains("MAIL FROM:<s@origin.test> SIZE=" + received.data().length + " BODY=8BITMIME");
    }

    @Test
    void aPositiveReplyToDataOtherThan354IsAProtocolErrorAndNothingCountsAsDelivered() throws Exception {
        // RFC 5321 §4.1.1.4: only 354 lets the data go. A 250 here delivered nothing.
        peer.dataStartReply = "250 2.0.0 Ok";
        peer.rcptReplies.put("x@peer.test", "550 5.1.1 <x@peer.test> User unknown");
        try (LmtpSession session = LmtpSession.open(endpoint(), SETTINGS)) {
            List<RecipientResult> results = session.deliver(LmtpMessage.of("s@origin.test",
                    List.of("a@peer.test", "x@peer.test"), CONTENT));

            assertThat(results.get(0).status()).isEqualTo(Status.DEFERRED);
            assertThat(results.get(0).stage()).isEqualTo(Stage.CONNECTION);
            assertThat(results.get(0).reply().oneLine()).isEqualTo("451 4.5.0 Protocol error: the LMTP server at "
                    + endpoint() + " answered DATA with \"250 2.0.0 Ok\": only 354 lets the message go, so it was not sent");
            // The refused recipient keeps its own reply.
            assertThat(results.get(1).reply().oneLine()).isEqualTo("550 5.1.1 <x@peer.test> User unknown");
            assertThat(session.isUsable()).isFalse();
        }
        assertThat(peer.received).isEmpty();
    }

    @Test
    void aReplyAfterTheDotThatIsNeitherDeliveredNorRefusedIsAProtocolError() throws Exception {
        peer.lmtpDataReplies.put("b@peer.test", "354 what?");
        try (LmtpSession session = LmtpSession.open(endpoint(), SETTINGS)) {
            List<RecipientResult> results = session.deliver(LmtpMessage.of("s@origin.test",
                    List.of("a@peer.test", "b@peer.test", "c@peer.test"), CONTENT));

            assertThat(results.get(0).status()).isEqualTo(Status.DELIVERED);
            // b's reply and c's (which would follow it) can no longer be trusted to be theirs.
            assertThat(results.subList(1, 3)).allSatisfy(r -> {
                assertThat(r.status()).isEqualTo(Status.DEFERRED);
                assertThat(r.stage()).isEqualTo(Stage.UNCONFIRMED);
                assertThat(r.reply().oneLine()).isEqualTo("451 4.5.0 Protocol error: the LMTP server at " + endpoint()
                        + " answered the end of the data with \"354 what?\": a reply after the data must be 2xx"
                        + " (delivered), 4xx or 5xx (refused)");
            });
            assertThat(session.isUsable()).isFalse();
        }
    }

    @Test
    void aThreeHundredReplyToRcptIsAProtocolError() throws Exception {
        peer.rcptReplies.put("b@peer.test", "354 go on");
        try (LmtpSession session = LmtpSession.open(endpoint(), SETTINGS)) {
            List<RecipientResult> results = session.deliver(LmtpMessage.of("s@origin.test",
                    List.of("a@peer.test", "b@peer.test"), CONTENT));

            assertThat(results).allSatisfy(r -> {
                assertThat(r.status()).isEqualTo(Status.DEFERRED);
                assertThat(r.reply().oneLine()).startsWith("451 4.5.0 Protocol error: the LMTP server at " + endpoint()
                        + " answered RCPT with \"354 go on\"");
            });
            assertThat(session.isUsable()).isFalse();
        }
        assertThat(peer.received).isEmpty();
    }

    @Test
    void aRefusedMailFromDecidesEveryRecipient() throws Exception {
        peer.requiredAuth = "user:password";

        List<RecipientResult> results = deliver(SETTINGS, "a@peer.test", "b@peer.test");

        assertThat(results).hasSize(2).allSatisfy(r -> {
            assertThat(r.stage()).isEqualTo(Stage.MAIL);
            assertThat(r.status()).isEqualTo(Status.BOUNCED);
            assertThat(r.reply().oneLine()).isEqualTo("530 5.7.0 Authentication required");
        });
    }

    @Test
    void aMessageOverTheAnnouncedSizeIsNotSent() throws Exception {
        peer.extensions.remove("SIZE 10000000");
        peer.extensions.add("SIZE 10");

        List<RecipientResult> results = deliver(SETTINGS, "a@peer.test");

        assertThat(results).singleElement().satisfies(r -> {
            assertThat(r.stage()).isEqualTo(Stage.LOCAL);
            assertThat(r.reply().oneLine()).isEqualTo("552 5.3.4 Message of " + CONTENT.length
                    + " bytes exceeds the limit of 10 bytes announced by the LMTP server at lmtp:127.0.0.1:" + peer.port());
        });
        assertThat(peer.commands).noneMatch(c -> c.startsWith("MAIL"));
    }

    /** Bare LFs become CRLF on the wire: the limit holds against what DATA carries, not the declared size. */
    @Test
    void aMessageThatOnlyTheWireMakesTooLargeIsNotSent() throws Exception {
        byte[] lf = "Subject: hi\n\nHello.\n".getBytes(StandardCharsets.US_ASCII); // 3 lines: 3 octets more as CRLF
        peer.extensions.remove("SIZE 10000000");
        peer.extensions.add("SIZE " + (lf.length + 1));
        try (LmtpSession session = LmtpSession.open(endpoint(), SETTINGS)) {
            RecipientResult r = session.deliver(LmtpMessage.of("s@origin.test", List.of("a@peer.test"), lf)).get(0);
            assertThat(r.stage()).isEqualTo(Stage.LOCAL);
            assertThat(r.status()).isEqualTo(Status.BOUNCED);
            assertThat(r.reply().oneLine()).startsWith("552 5.3.4 Message of " + (lf.length + 3) + " bytes exceeds");
        }
        assertThat(peer.commands).noneMatch(c -> c.startsWith("MAIL"));
    }

    /** RFC 1870 §4: SIZE= counts the octets the server receives, so a server can trust it for its limit. */
    @Test
    void mailAnnouncesTheSizeTheServerReceives() throws Exception {
        byte[] lf = "Subject: hi\n\nHello.\r.dot\nno end".getBytes(StandardCharsets.US_ASCII);
        try (LmtpSession session = LmtpSession.open(endpoint(), SETTINGS)) {
            assertThat(session.deliver(LmtpMessage.of("s@origin.test", List.of("a@peer.test"), lf)).get(0).status())
                    .isEqualTo(Status.DELIVERED);
        }
        byte[] received = peer.take(Duration.ofSeconds(5)).data();
        assertThat(new String(received, StandardCharsets.US_ASCII))
                .isEqualTo("Subject: hi\r\n\r\nHello.\r\n.dot\r\nno end\r\n");
        assertThat(peer.commands).contains("MAIL FROM:<s@origin.test> SIZE=" + received.length);
    }

    /** RFC 5321 §4.5.3.1.10: a 552 to RCPT is RFC 821's "too many recipients", taken as 452; after the data it bounces. */
    @Test
    void a552ToRcptIsDeferredAndA552AfterTheDataBounces() throws Exception {
        peer.rcptReplies.put("many@peer.test", "552 5.5.3 Too many recipients");
        peer.lmtpDataReplies.put("full@peer.test", "552 5.2.2 <full@peer.test> Quota exceeded");

        List<RecipientResult> results = deliver(SETTINGS, "many@peer.test", "full@peer.test");

        assertThat(results.get(0).stage()).isEqualTo(Stage.RCPT);
        assertThat(results.get(0).status()).isEqualTo(Status.DEFERRED);
        assertThat(results.get(1).stage()).isEqualTo(Stage.DELIVERY);
        assertThat(results.get(1).status()).isEqualTo(Status.BOUNCED);
    }

    /** The name lookup has no time-out of its own: the connect time-out bounds it, as it bounds the connect. */
    @Test
    void aHostNameThatResolvesTooSlowlyFailsWithinTheConnectTimeOut() {
        LmtpEndpoint slowName = LmtpEndpoint.parse("lmtp:lmtp.slow.test:" + peer.port());
        BoundedResolver.Lookup stalls = host -> {
            try {
                Thread.sleep(30_000); // a name server that does not answer
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return InetAddress.getLoopbackAddress();
        };
        long start = System.nanoTime();
        assertThatThrownBy(() -> LmtpWire.connect(slowName, Duration.ofMillis(300), Duration.ofSeconds(5),
                new OpenAttempt(), stalls))
                .isInstanceOfSatisfying(SmtpClientException.class, e -> assertThat(e.reply().oneLine()).isEqualTo(
                        "451 4.4.1 Cannot connect to the LMTP server at lmtp:lmtp.slow.test:" + peer.port()
                                + ": resolving lmtp.slow.test timed out after 300 ms"));
        assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(3_000);
        assertThat(peer.connections.get()).isZero();
    }

    /** close() at shutdown cuts a connection whose host name is still being looked up, as it cuts a connect. */
    @Test
    void aCutStopsTheWaitForASlowHostNameAtOnce() throws Exception {
        LmtpEndpoint slowName = LmtpEndpoint.parse("lmtp:lmtp.slow.test:" + peer.port());
        CountDownLatch looking = new CountDownLatch(1);
        BoundedResolver.Lookup stalls = host -> {
            looking.countDown();
            try {
                Thread.sleep(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return InetAddress.getLoopbackAddress();
        };
        OpenAttempt attempt = new OpenAttempt();
        CompletableFuture<Throwable> connect = CompletableFuture.supplyAsync(() -> {
            try (LmtpWire wire = LmtpWire.connect(slowName, Duration.ofSeconds(20), Duration.ofSeconds(5), attempt, stalls)) {
                return null;
            } catch (Throwable e) {
                return e;
            }
        });
        assertThat(looking.await(10, TimeUnit.SECONDS)).isTrue();
        long start = System.nanoTime();
        attempt.cut();
        assertThat(connect.get(5, TimeUnit.SECONDS)).isInstanceOfSatisfying(SmtpClientException.class, e ->
                assertThat(e.reply().oneLine()).startsWith("451 4.4.2 Opening the connection to the LMTP server at"));
        assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(5_000);
        assertThat(peer.connections.get()).isZero();
    }

    @Test
    void aHostNameIsResolvedAndAnUnknownOneRefusedWith451() throws Exception {
        LmtpEndpoint named = LmtpEndpoint.parse("lmtp:lmtp.peer.test:" + peer.port());
        try (LmtpWire wire = LmtpWire.connect(named, Duration.ofSeconds(5), Duration.ofSeconds(5), new OpenAttempt(),
                host -> InetAddress.getLoopbackAddress())) {
            assertThat(wire.read(Duration.ofSeconds(5)).code()).isEqualTo(220);
        }
        assertThatThrownBy(() -> LmtpWire.connect(named, Duration.ofSeconds(5), Duration.ofSeconds(5), new OpenAttempt(),
                host -> {
                    throw new UnknownHostException(host + ": Name or service not known");
                }))
                .isInstanceOfSatisfying(SmtpClientException.class, e -> assertThat(e.reply().oneLine()).isEqualTo(
                        "451 4.4.1 Cannot resolve the LMTP host of lmtp:lmtp.peer.test:" + peer.port()
                                + ": lmtp.peer.test: Name or service not known"));
    }

    @Test
    void eightBitContentIsNotSentToAServerWithout8bitmime() throws Exception {
        peer.extensions.remove("8BITMIME");
        byte[] content = "Subject: x\r\n\r\nÄ\r\n".getBytes(StandardCharsets.UTF_8);
        try (LmtpSession session = LmtpSession.open(endpoint(), SETTINGS)) {
            RecipientResult r = session.deliver(LmtpMessage.of("s@origin.test", List.of("a@peer.test"), content)).get(0);
            assertThat(r.stage()).isEqualTo(Stage.LOCAL);
            assertThat(r.reply().code()).isEqualTo(554);
            assertThat(r.reply().enhanced()).isEqualTo("5.6.3");
        }
    }

    @Test
    void aRefusedLhloIsThrownWithTheServersReply() {
        peer.lmtp = false; // an SMTP server: it does not know LHLO

        assertThatThrownBy(() -> LmtpSession.open(endpoint(), SETTINGS))
                .isInstanceOfSatisfying(SmtpClientException.class, e ->
                        assertThat(e.reply().oneLine()).isEqualTo("502 5.5.2 Error: command not recognized"));
    }

    @Test
    void aKeptConnectionTheServerDroppedIsReplacedWithoutDeferringAnything() throws Exception {
        try (LmtpClient client = new LmtpClient(endpoint(), SETTINGS)) {
            assertThat(deliver(client, "a@peer.test").get(0).status()).isEqualTo(Status.DELIVERED);
            peer.dropConnections();
            List<RecipientResult> second = deliver(client, "b@peer.test");
            assertThat(second.get(0).status()).as(second.toString()).isEqualTo(Status.DELIVERED);
        }
        assertThat(peer.connections.get()).isEqualTo(2);
        assertThat(peer.received).extracting(r -> r.rcptTo().get(0)).containsExactly("a@peer.test", "b@peer.test");
    }

    @Test
    void aKeptConnectionOnWhichTheServerSentMoreThanItsRepliesIsNotReused() throws Exception {
        // One reply too many, in the same write as a's own: it would be read as the next transaction's first reply.
        peer.lmtpDataReplies.put("a@peer.test", "250 2.0.0 <a@peer.test> Saved\r\n250 2.0.0 one too many");
        try (LmtpClient client = new LmtpClient(endpoint(), SETTINGS)) {
            assertThat(deliver(client, "a@peer.test").get(0).status()).isEqualTo(Status.DELIVERED);
            List<RecipientResult> second = deliver(client, "b@peer.test");
            assertThat(second.get(0).status()).as(second.toString()).isEqualTo(Status.DELIVERED);
        }
        assertThat(peer.connections.get()).isEqualTo(2);
        assertThat(peer.commands).doesNotContain("RSET");
        assertThat(peer.received).extracting(r -> r.rcptTo().get(0)).containsExactly("a@peer.test", "b@peer.test");
    }

    @Test
    void anIdleConnectionOnWhichTheServerSaidGoodbyeIsNotReused() throws Exception {
        // What Dovecot does at a reload: "421 4.3.2 ... Shutting down" on every idle connection, then it closes.
        peer.lmtpThenSend = "421 4.3.2 lmtp.peer.test Shutting down";
        try (LmtpClient client = new LmtpClient(endpoint(), SETTINGS)) {
            assertThat(deliver(client, "a@peer.test").get(0).status()).isEqualTo(Status.DELIVERED);
            await("the goodbye reached the idle connection", () -> client.reusableIdle() == 0);
            List<RecipientResult> second = deliver(client, "b@peer.test");
            assertThat(second.get(0).status()).as(second.toString()).isEqualTo(Status.DELIVERED);
        }
        // Nothing more went on the first connection: the second transaction started afresh on a new one.
        assertThat(peer.connections.get()).isEqualTo(2);
        assertThat(peer.commands).doesNotContain("RSET");
        assertThat(peer.received).extracting(r -> r.rcptTo().get(0)).containsExactly("a@peer.test", "b@peer.test");
    }

    @Test
    void aGoodbyeInReplyToTheResetOfAKeptConnectionSendsTheMessageAgainOnANewOne() throws Exception {
        // The server closes the kept connection as the transaction starts: its 421 comes as the RSET's reply.
        try (LmtpClient client = new LmtpClient(endpoint(), SETTINGS)) {
            assertThat(deliver(client, "a@peer.test").get(0).status()).isEqualTo(Status.DELIVERED);
            peer.rsetGoodbye = "421 4.3.2 lmtp.peer.test Shutting down";
            List<RecipientResult> second = deliver(client, "b@peer.test");
            assertThat(second.get(0).status()).as(second.toString()).isEqualTo(Status.DELIVERED);
        }
        assertThat(peer.connections.get()).isEqualTo(2);
        assertThat(peer.received).extracting(r -> r.rcptTo().get(0)).containsExactly("a@peer.test", "b@peer.test");
    }

    @Test
    void aKeptConnectionLostAfterTheDataIsNotResent() throws Exception {
        // The server took the message and died before its reply: it may be in the mailbox, so it is not sent again
        // now (the queue retries it later, the one duplicate LMTP cannot rule out).
        try (LmtpClient client = new LmtpClient(endpoint(), SETTINGS)) {
            assertThat(deliver(client, "a@peer.test").get(0).status()).isEqualTo(Status.DELIVERED);
            peer.lmtpRepliesBeforeFailure = 0;
            List<RecipientResult> second = deliver(client, "b@peer.test");
            assertThat(second).singleElement().satisfies(r -> {
                assertThat(r.stage()).isEqualTo(Stage.UNCONFIRMED);
                assertThat(r.status()).isEqualTo(Status.DEFERRED);
            });
        }
        assertThat(peer.connections.get()).isEqualTo(1);
        assertThat(peer.received).extracting(r -> r.rcptTo().get(0)).containsExactly("a@peer.test", "b@peer.test");
    }

    @Test
    void aKeptConnectionLostAfterItsResetAndMailRepliesIsNotResent() throws Exception {
        // The server answered RSET and MAIL, so it was there when the transaction began: a loss now is a failure
        // of this attempt, deferred, not an idle connection the server had dropped.
        try (LmtpClient client = new LmtpClient(endpoint(), SETTINGS)) {
            assertThat(deliver(client, "a@peer.test").get(0).status()).isEqualTo(Status.DELIVERED);
            peer.hangUpAt = "RCPT TO:<b@";
            List<RecipientResult> second = deliver(client, "b@peer.test");
            assertThat(second).singleElement().satisfies(r -> {
                assertThat(r.stage()).isEqualTo(Stage.CONNECTION);
                assertThat(r.status()).isEqualTo(Status.DEFERRED);
            });
        }
        assertThat(peer.connections.get()).isEqualTo(1);
        assertThat(peer.commands).filteredOn(c -> c.startsWith("MAIL")).hasSize(2);
        assertThat(peer.received).extracting(r -> r.rcptTo().get(0)).containsExactly("a@peer.test");
    }

    /** One message from s@origin.test with {@link #CONTENT} to these recipients: the case most tests need. */
    private static List<RecipientResult> deliver(LmtpClient client, String... recipients) throws Exception {
        return client.deliver(LmtpMessage.of("s@origin.test", List.of(recipients), CONTENT));
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void aConnectionIdleLongerThanAllowedIsQuitAndReplaced() throws Exception {
        ManualClock clock = new ManualClock();
        try (LmtpClient client = new LmtpClient(endpoint(), SETTINGS, Duration.ofSeconds(30), 4, clock)) {
            deliver(client, "a@peer.test");
            clock.advance(Duration.ofSeconds(31));
            deliver(client, "b@peer.test");
        }
        assertThat(peer.connections.get()).isEqualTo(2);
        assertThat(peer.commands).filteredOn(c -> c.equals("QUIT")).hasSize(2);
        assertThat(peer.commands).doesNotContain("RSET");
    }

    @Test
    void openingAClientChecksTheServerAtOnce() throws Exception {
        try (LmtpClient client = LmtpClient.open(endpoint(), SETTINGS)) {
            assertThat(peer.commands).containsExactly("LHLO client.test");
            deliver(client, "a@peer.test");
        }
        assertThat(peer.connections.get()).isEqualTo(1);
        peer.greeting = "554 5.3.2 lmtp.peer.test not accepting mail";
        assertThatThrownBy(() -> LmtpClient.open(endpoint(), SETTINGS))
                .isInstanceOfSatisfying(SmtpClientException.class, e ->
                        assertThat(e.reply().oneLine()).isEqualTo("554 5.3.2 lmtp.peer.test not accepting mail"));
    }

    @Test
    void closingTheClientCutsADeliveryInProgressAndDefersItsUnansweredRecipients() throws Exception {
        peer.lmtpRepliesBeforeFailure = 1;
        peer.lmtpStallInsteadOfHangUp = true;
        LmtpClient client = LmtpClient.open(endpoint(), ClientSettings.uniform("client.test", Duration.ofSeconds(25)));
        Thread closer = Thread.ofVirtual().start(() -> {
            try {
                // MAIL, two RCPTs and DATA pipelined, then a's reply after the dot: the client now waits for b's.
                // A condition, not a pause: under load a fixed sleep could cut before a's reply was read.
                await("the client has read a's reply after the data", () -> client.busySessions().stream()
                        .anyMatch(s -> s.repliesRead() >= 5));
            } catch (InterruptedException | AssertionError e) {
                // the delivery below fails the test then
            }
            client.close();
        });

        long start = System.nanoTime();
        List<RecipientResult> results = client.deliver(LmtpMessage.of("s@origin.test", List.of("a@peer.test", "b@peer.test"),
                CONTENT));
        long millis = (System.nanoTime() - start) / 1_000_000;
        closer.join();

        assertThat(results.get(0).status()).isEqualTo(Status.DELIVERED);
        assertThat(results.get(1).stage()).isEqualTo(Stage.UNCONFIRMED);
        assertThat(results.get(1).reply().code()).isEqualTo(451);
        assertThat(millis).as("cut at once, not after the 25 s reply time-out").isLessThan(15_000);
        assertThat(client.isOpen()).isFalse();
    }

    @Test
    void theClientKeepsItsConnectionAcrossDeliveries() throws Exception {
        try (LmtpClient client = new LmtpClient(endpoint(), SETTINGS)) {
            for (int i = 0; i < 3; i++) {
                deliver(client, "a@peer.test");
            }
        }
        assertThat(peer.connections.get()).isEqualTo(1);
        assertThat(peer.commands).filteredOn(c -> c.equals("RSET")).hasSize(2);
        assertThat(peer.commands.get(peer.commands.size() - 1)).isEqualTo("QUIT");
    }
}
