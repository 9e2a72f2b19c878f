package dev.posthorn.delivery.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.posthorn.delivery.fixtures.Ports;
import dev.posthorn.delivery.fixtures.ScriptedSmtpPeer;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The outbound SMTP client against a scripted peer on loopback. */
@Timeout(30)
class SmtpConnectionTest {

    private static final ClientSettings FAST = ClientSettings.uniform("client.test", Duration.ofSeconds(5));
    private static final String MESSAGE = "From: a@client.test\r\nTo: b@peer.test\r\nSubject: Grüße\r\n\r\n"
            + "Line one\r\n.starts with a dot\r\n..two dots\r\n.\r\nÜmlaut 8-bit\r\n";

    @TempDir
    Path dir;
    ScriptedSmtpPeer peer;
    Path content;

    @BeforeEach
    void start() throws Exception {
        peer = ScriptedSmtpPeer.start();
        content = dir.resolve("m.msg");
        Files.write(content, MESSAGE.getBytes(StandardCharsets.UTF_8));
    }

    @AfterEach
    void stop() throws Exception {
        peer.close();
    }

    private OutboundMessage message(String... rcpts) throws Exception {
        return new OutboundMessage("a@client.test", java.util.Arrays.stream(rcpts).map(OutboundMessage.Recipient::of).toList(),
                content, Files.size(content), true, false, null, null);
    }

    private SmtpConnection connect() throws Exception {
        SmtpConnection c = SmtpConnection.open(peer.address(), "peer.test", FAST);
        c.hello();
        return c;
    }

    @Test
    void multiLineRepliesKeepEveryLineAndTheEnhancedCode() throws Exception {
        ReplyReader r = new ReplyReader(new ByteArrayInputStream(
                "550-5.1.1 The email account that you tried to reach does not exist.\r\n550-5.1.1 Please check\r\n550 5.1.1 the address.\r\n250 ok\n"
                        .getBytes(StandardCharsets.US_ASCII)));
        RemoteReply first = r.read();
        assertThat(first.code()).isEqualTo(550);
        assertThat(first.enhanced()).isEqualTo("5.1.1");
        assertThat(first.wire()).isEqualTo("550-5.1.1 The email account that you tried to reach does not exist.\n"
                + "550-5.1.1 Please check\n550 5.1.1 the address.");
        assertThat(r.read().oneLine()).isEqualTo("250 ok");
    }

    @Test
    void anEnhancedCodeOfAnotherClassIsNotTakenForOne() throws Exception {
        RemoteReply r = new ReplyReader(new ByteArrayInputStream("450 5.1.1 odd\r\n".getBytes(StandardCharsets.US_ASCII))).read();
        assertThat(r.enhanced()).isNull();
    }

    @Test
    void pipelinedTransactionReportsEachRecipientAndDeliversTheBytesIntact() throws Exception {
        peer.rcptReplies.put("nobody@peer.test", "550 5.1.1 <nobody@peer.test>: Recipient address rejected: User unknown");
        try (SmtpConnection c = connect()) {
            TransactionResult r = c.send(message("b@peer.test", "nobody@peer.test"));
            assertThat(r.outcome(0).code()).isEqualTo(250);
            assertThat(r.outcome(1).wire()).isEqualTo("550 5.1.1 <nobody@peer.test>: Recipient address rejected: User unknown");
            c.quitQuietly();
        }
        ScriptedSmtpPeer.Received got = peer.take(Duration.ofSeconds(5));
        assertThat(got.text()).isEqualTo(MESSAGE);
        assertThat(got.rcptTo()).containsExactly("b@peer.test");
        // MAIL, both RCPTs and DATA went out in one group (RFC 2920).
        assertThat(peer.commands).contains("MAIL FROM:<a@client.test> SIZE=" + Files.size(content) + " BODY=8BITMIME");
    }

    @Test
    void chunkingSendsTheExactBytesWithBdat() throws Exception {
        peer.extensions.add("CHUNKING");
        try (SmtpConnection c = connect()) {
            assertThat(c.send(message("b@peer.test")).outcome(0).code()).isEqualTo(250);
        }
        assertThat(peer.take(Duration.ofSeconds(5)).text()).isEqualTo(MESSAGE);
        assertThat(peer.commands).anyMatch(l -> l.startsWith("BDAT ") && l.endsWith(" LAST"));
        assertThat(peer.commands).doesNotContain("DATA");
    }

    @Test
    void withoutPipeliningCommandsGoOneByOne() throws Exception {
        peer.extensions.remove("PIPELINING");
        try (SmtpConnection c = connect()) {
            assertThat(c.send(message("b@peer.test")).outcome(0).code()).isEqualTo(250);
        }
        assertThat(peer.take(Duration.ofSeconds(5)).text()).isEqualTo(MESSAGE);
    }

    @Test
    void heloIsUsedWhenEhloIsRefused() throws Exception {
        peer.ehloRefused = true;
        Files.writeString(content, "Subject: plain\r\n\r\nA HELO-only server takes 7-bit mail only.\r\n");
        try (SmtpConnection c = connect()) {
            assertThat(c.supports("PIPELINING")).isFalse();
            assertThat(c.send(message("b@peer.test")).outcome(0).code()).isEqualTo(250);
        }
        assertThat(peer.commands).contains("HELO client.test", "MAIL FROM:<a@client.test>");
    }

    @Test
    void oneConnectionCarriesSeveralMessagesWithRsetAfterAFailure() throws Exception {
        peer.rcptReplies.put("nobody@peer.test", "550 5.1.1 unknown");
        try (SmtpConnection c = connect()) {
            assertThat(c.send(message("nobody@peer.test")).outcome(0).code()).isEqualTo(550);
            assertThat(c.send(message("b@peer.test")).outcome(0).code()).isEqualTo(250);
            assertThat(c.send(message("b@peer.test")).outcome(0).code()).isEqualTo(250);
            c.quitQuietly();
        }
        assertThat(peer.connections.get()).isEqualTo(1);
        assertThat(peer.commands.stream().filter("RSET"::equals).count()).isEqualTo(1);
        assertThat(peer.received).hasSize(2);
    }

    @Test
    void aPositiveReplyToDataOtherThan354DeliversNothingAndIsDeferred() throws Exception {
        // RFC 5321 §4.1.1.4: only 354 lets the data go; taking this 250 for a delivery would lose the message.
        peer.dataStartReply = "250 2.0.0 Ok";
        try (SmtpConnection c = connect()) {
            TransactionResult r = c.send(message("b@peer.test"));
            assertThat(r.outcome(0).oneLine()).startsWith("451 4.5.0 Protocol error: ")
                    .endsWith(" answered DATA with \"250 2.0.0 Ok\"");
            assertThat(c.isOpen()).isFalse();
        }
        assertThat(peer.received).isEmpty();
    }

    @Test
    void aThreeHundredReplyAfterTheDataIsNoDelivery() throws Exception {
        peer.dataReply = n -> "354 what now?";
        try (SmtpConnection c = connect()) {
            TransactionResult r = c.send(message("b@peer.test"));
            assertThat(r.outcome(0).oneLine()).startsWith("451 4.5.0 Protocol error: ")
                    .endsWith(" answered the end of the data with \"354 what now?\"");
            assertThat(c.isOpen()).isFalse();
        }
    }

    @Test
    void startTlsWhenOfferedAndEhloAgain() throws Exception {
        peer.enableTls(dir);
        try (SmtpConnection c = connect()) {
            assertThat(c.startTls(false)).isTrue();
            assertThat(c.tlsActive()).isTrue();
            assertThat(c.supports("STARTTLS")).isFalse();
            assertThat(c.send(message("b@peer.test")).outcome(0).code()).isEqualTo(250);
        }
        assertThat(peer.take(Duration.ofSeconds(5)).tls()).isTrue();
        assertThat(peer.commands.stream().filter(l -> l.startsWith("EHLO")).count()).isEqualTo(2);
    }

    @Test
    void startTlsIsNotTriedWhenNotOffered() throws Exception {
        try (SmtpConnection c = connect()) {
            assertThat(c.startTls(false)).isFalse();
            assertThat(c.tlsActive()).isFalse();
        }
    }

    @Test
    void verifiedTlsRefusesASelfSignedCertificate() throws Exception {
        peer.enableTls(dir);
        try (SmtpConnection c = connect()) {
            assertThatThrownBy(() -> c.startTls(true)).isInstanceOf(SmtpClientException.class)
                    .satisfies(e -> assertThat(((SmtpClientException) e).reply().enhanced()).isEqualTo("4.7.5"));
        }
    }

    @Test
    void authPlainLogsInBeforeMail() throws Exception {
        peer.enableTls(dir);
        peer.requiredAuth = "alice:s3cret";
        peer.extensions.add("AUTH PLAIN LOGIN");
        try (SmtpConnection c = connect()) {
            c.startTls(false);
            c.authenticate("alice", "s3cret");
            assertThat(c.send(message("b@peer.test")).outcome(0).code()).isEqualTo(250);
        }
        assertThat(peer.take(Duration.ofSeconds(5)).authUser()).isEqualTo("alice");
    }

    @Test
    void wrongCredentialsThrowTheRemoteReply() throws Exception {
        peer.requiredAuth = "alice:s3cret";
        peer.extensions.add("AUTH PLAIN");
        try (SmtpConnection c = connect()) {
            assertThatThrownBy(() -> c.authenticate("alice", "wrong")).isInstanceOf(SmtpClientException.class)
                    .satisfies(e -> assertThat(((SmtpClientException) e).reply().oneLine())
                            .isEqualTo("535 5.7.8 Authentication credentials invalid"));
        }
    }

    @Test
    void aMessageThatNeedsSmtputf8IsRefusedBy5_6_7WhenThePeerLacksIt() throws Exception {
        peer.extensions.remove("SMTPUTF8");
        OutboundMessage m = new OutboundMessage("a@client.test", List.of(OutboundMessage.Recipient.of("b@peer.test")),
                content, Files.size(content), true, true, null, null);
        try (SmtpConnection c = connect()) {
            RemoteReply r = c.send(m).outcome(0);
            assertThat(r.code()).isEqualTo(554);
            assertThat(r.enhanced()).isEqualTo("5.6.7");
        }
        assertThat(peer.commands).noneMatch(l -> l.startsWith("MAIL"));
    }

    @Test
    void smtputf8IsAnnouncedWhenThePeerHasIt() throws Exception {
        OutboundMessage m = new OutboundMessage("ä@client.test", List.of(new OutboundMessage.Recipient("b@peer.test",
                Set.of(), null)), content, Files.size(content), true, true, null, null);
        try (SmtpConnection c = connect()) {
            assertThat(c.send(m).outcome(0).code()).isEqualTo(250);
        }
        assertThat(peer.commands).anyMatch(l -> l.startsWith("MAIL FROM:<ä@client.test>") && l.endsWith(" SMTPUTF8"));
    }

    @Test
    void aMessageOverTheAnnouncedSizeIsNotSent() throws Exception {
        peer.extensions.remove("SIZE 10000000");
        peer.extensions.add("SIZE 10");
        try (SmtpConnection c = connect()) {
            RemoteReply r = c.send(message("b@peer.test")).outcome(0);
            assertThat(r.code()).isEqualTo(552);
            assertThat(r.enhanced()).isEqualTo("5.3.4");
        }
    }

    @Test
    void dsnParametersArePassedOnWhenThePeerOffersDsn() throws Exception {
        peer.extensions.add("DSN");
        OutboundMessage m = new OutboundMessage("a@client.test", List.of(new OutboundMessage.Recipient("b@peer.test",
                Set.of("FAILURE", "DELAY"), "rfc822;b@peer.test")), content, Files.size(content), false, false, "HDRS", "ENV1");
        try (SmtpConnection c = connect()) {
            assertThat(c.send(m).outcome(0).code()).isEqualTo(250);
        }
        assertThat(peer.commands).contains("RCPT TO:<b@peer.test> NOTIFY=DELAY,FAILURE ORCPT=rfc822;b@peer.test");
        assertThat(peer.commands).anyMatch(l -> l.startsWith("MAIL") && l.contains(" RET=HDRS ENVID=ENV1"));
    }

    @Test
    void aRefusedConnectionIsATemporaryFailure() {
        int dead = Ports.free();
        assertThatThrownBy(() -> SmtpConnection.open(new java.net.InetSocketAddress("127.0.0.1", dead), null, FAST))
                .isInstanceOf(SmtpClientException.class)
                .satisfies(e -> assertThat(((SmtpClientException) e).reply().oneLine())
                        .isEqualTo("451 4.4.1 Connection refused by 127.0.0.1:" + dead));
    }

    @Test
    void aSilentPeerTimesOut() throws Exception {
        peer.replyDelay = Duration.ofSeconds(10);
        long start = System.nanoTime();
        assertThatThrownBy(() -> SmtpConnection.open(peer.address(), "peer.test",
                ClientSettings.uniform("client.test", Duration.ofMillis(500))))
                .isInstanceOf(SmtpClientException.class)
                .satisfies(e -> assertThat(((SmtpClientException) e).reply().enhanced()).isEqualTo("4.4.2"));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void aRefusingGreetingIsReportedVerbatim() throws Exception {
        peer.greeting = "554 5.7.1 peer.test no service for you";
        assertThatThrownBy(() -> SmtpConnection.open(peer.address(), "peer.test", FAST))
                .isInstanceOf(SmtpClientException.class)
                .satisfies(e -> assertThat(((SmtpClientException) e).reply().oneLine())
                        .isEqualTo("554 5.7.1 peer.test no service for you"));
    }

    @Test
    void aPeerThatStopsReadingTheDataIsCutOffByTheBlockTimeout() throws Exception {
        peer.extensions.remove("PIPELINING");
        peer.stallInData = true;
        peer.extensions.remove("SIZE 10000000");
        Path big = dir.resolve("big.msg");
        byte[] line = "0123456789012345678901234567890123456789012345678901234567890123456789012345678\r\n"
                .getBytes(StandardCharsets.US_ASCII);
        try (var out = Files.newOutputStream(big)) {
            for (int i = 0; i < 200_000; i++) {
                out.write(line); // 16 MB: far more than the socket buffers hold
            }
        }
        OutboundMessage m = new OutboundMessage("a@client.test", List.of(OutboundMessage.Recipient.of("b@peer.test")),
                big, Files.size(big), false, false, null, null);
        long start = System.nanoTime();
        try (SmtpConnection c = SmtpConnection.open(peer.address(), "peer.test",
                ClientSettings.uniform("client.test", Duration.ofSeconds(1)))) {
            c.hello();
            assertThatThrownBy(() -> c.send(m)).isInstanceOf(SmtpClientException.class)
                    .satisfies(e -> assertThat(((SmtpClientException) e).reply().oneLine())
                            .isEqualTo("451 4.4.2 Timed out sending to the remote"));
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void eightBitContentIsNotSentToAPeerWithout8bitmime() throws Exception {
        peer.extensions.remove("8BITMIME");
        try (SmtpConnection c = connect()) {
            RemoteReply r = c.send(message("b@peer.test")).outcome(0);
            assertThat(r.code()).isEqualTo(554);
            assertThat(r.enhanced()).isEqualTo("5.6.3");
        }
        assertThat(peer.commands).noneMatch(l -> l.startsWith("MAIL"));
    }

    @Test
    void aMessageDeclared8bitButPlainAsciiGoesToAPeerWithout8bitmime() throws Exception {
        peer.extensions.remove("8BITMIME");
        Files.writeString(content, "Subject: plain\r\n\r\nascii only\r\n");
        try (SmtpConnection c = connect()) {
            assertThat(c.send(message("b@peer.test")).outcome(0).code()).isEqualTo(250);
        }
        assertThat(peer.commands).contains("MAIL FROM:<a@client.test> SIZE=" + Files.size(content));
    }

    @Test
    void authLoginIsUsedWhenPlainIsNotOffered() throws Exception {
        peer.requiredAuth = "alice:s3cret";
        peer.extensions.add("AUTH LOGIN");
        try (SmtpConnection c = connect()) {
            c.authenticate("alice", "s3cret");
            assertThat(c.send(message("b@peer.test")).outcome(0).code()).isEqualTo(250);
        }
        assertThat(peer.take(Duration.ofSeconds(5)).authUser()).isEqualTo("alice");
        assertThat(peer.commands).contains("AUTH LOGIN").noneMatch(l -> l.startsWith("AUTH PLAIN"));
    }
}
