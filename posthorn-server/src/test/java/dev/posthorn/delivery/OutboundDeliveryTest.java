package dev.posthorn.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.config.PosthornConfig;
import dev.posthorn.delivery.fixtures.Ports;
import dev.posthorn.delivery.fixtures.ScriptedSmtpPeer;
import dev.posthorn.queue.MessageState;
import dev.posthorn.queue.RecipientStatus;
import dev.posthorn.queue.StateFile;
import dev.posthorn.server.PosthornServer;
import dev.posthorn.spool.EnvelopeRecipient;
import dev.posthorn.testing.TestConfigs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The queue end to end: messages in the spool, the scheduler, scripted remote peers on loopback, DSNs delivered
 * back into the sender's Maildir. Retry times are compressed to seconds.
 */
@Timeout(90)
class OutboundDeliveryTest {

    private static final String MESSAGE = "From: alice@posthorn.test\r\nTo: bob@remote.test\r\nSubject: Quarterly report\r\n"
            + "Message-ID: <q1@posthorn.test>\r\n\r\nHello Bob,\r\n.a line with a dot\r\n";

    @TempDir
    Path dir;
    ScriptedSmtpPeer peer;
    PosthornServer server;

    @BeforeEach
    void startPeer() throws Exception {
        peer = ScriptedSmtpPeer.start();
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        peer.close();
    }

    private PosthornConfig config(int remotePort) {
        PosthornConfig c = TestConfigs.onFreePorts(dir.resolve("data"));
        c.routes.put("remote.test", "127.0.0.1:" + remotePort);
        c.queue.retryIntervalsSeconds = new ArrayList<>(List.of(1L));
        c.queue.giveUpAfterSeconds = 10;
        c.queue.delayNoticeAfterSeconds = 2;
        c.queue.connectTimeoutSeconds = 2;
        c.queue.commandTimeoutSeconds = 5;
        return c;
    }

    private Path queueDir() {
        return dir.resolve("data/queue");
    }

    private Path inbox(String user) {
        return dir.resolve("data/mail/posthorn.test/" + user + "/new");
    }

    private List<String> mails(String user) throws IOException {
        Path box = inbox(user);
        if (!Files.isDirectory(box)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(box)) {
            return files.sorted().map(p -> {
                try {
                    return Files.readString(p, StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList();
        }
    }

    private static void await(String what, Duration limit, BooleanSupplier condition) throws InterruptedException {
        Instant deadline = Instant.now().plus(limit);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(50);
        }
    }

    private boolean queueEmpty() {
        try (Stream<Path> files = Files.list(queueDir())) {
            return files.noneMatch(p -> p.toString().endsWith(".env") || p.toString().endsWith(".state")
                    || p.toString().endsWith(".msg"));
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean unchecked(IoCheck check) {
        try {
            return check.get();
        } catch (IOException e) {
            return false;
        }
    }

    private interface IoCheck {
        boolean get() throws IOException;
    }

    @Test
    void aMessageReachesTheRemotePeerIntactAndLeavesTheQueue() throws Exception {
        server = PosthornServer.start(config(peer.port()));
        server.enqueue("alice@posthorn.test", List.of("bob@remote.test"), MESSAGE.getBytes(StandardCharsets.UTF_8));
        ScriptedSmtpPeer.Received got = peer.take(Duration.ofSeconds(10));
        assertThat(got.text()).isEqualTo(MESSAGE);
        assertThat(got.mailFrom()).isEqualTo("alice@posthorn.test");
        await("the queue is empty", Duration.ofSeconds(5), this::queueEmpty);
    }

    @Test
    void aPeerThatAnswers451IsRetriedAndTheMessageDeliveredOnce() throws Exception {
        peer.dataReply = n -> n == 1 ? "451 4.3.0 Temporary local problem, try again" : "250 2.0.0 Ok: queued as P" + n;
        PosthornConfig c = config(peer.port());
        c.queue.delayNoticeAfterSeconds = 60;
        server = PosthornServer.start(c);
        String id = server.enqueue("alice@posthorn.test", List.of("bob@remote.test"), MESSAGE.getBytes(StandardCharsets.UTF_8));

        await("the first attempt is recorded", Duration.ofSeconds(10), () -> unchecked(() -> {
            MessageState s = StateFile.read(queueDir(), id);
            return s != null && s.recipients.get(0).status == RecipientStatus.DEFERRED;
        }));
        MessageState deferred = StateFile.read(queueDir(), id);
        assertThat(deferred.recipients.get(0).attempts).singleElement().satisfies(a -> {
            assertThat(a.code()).isEqualTo(451);
            assertThat(a.reply()).containsExactly("4.3.0 Temporary local problem, try again");
            assertThat(a.remoteHost()).isEqualTo("[127.0.0.1]:" + peer.port());
            assertThat(a.explanation()).startsWith("4.3.0 ");
        });

        assertThat(peer.take(Duration.ofSeconds(10)).text()).isEqualTo(MESSAGE);
        await("the queue is empty", Duration.ofSeconds(5), this::queueEmpty);
        Thread.sleep(1500);
        assertThat(peer.received).isEmpty();
        assertThat(mails("alice")).isEmpty(); // no notice for a message delivered before the delay notice is due
    }

    @Test
    void aPeerThatAnswers550BouncesAtOnceWithTheExactTextAndTheExplanation() throws Exception {
        peer.rcptReplies.put("nobody@remote.test", "550 5.1.1 <nobody@remote.test>: Recipient address rejected: User unknown");
        server = PosthornServer.start(config(peer.port()));
        server.enqueue("alice@posthorn.test", List.of("nobody@remote.test"), MESSAGE.getBytes(StandardCharsets.UTF_8));

        await("a bounce reaches alice", Duration.ofSeconds(10), () -> unchecked(() -> mails("alice").size() == 1));
        String dsn = mails("alice").get(0);
        assertThat(dsn).contains("Return-Path: <>", "Subject: Undelivered Mail Returned to Sender",
                "multipart/report; report-type=delivery-status",
                "        550 5.1.1 <nobody@remote.test>: Recipient address rejected: User unknown\r\n",
                "What this means: " + new CatalogueExplainer().explain(550, "5.1.1", java.util.Locale.ENGLISH),
                "Action: failed", "Status: 5.1.1", "Final-Recipient: rfc822; nobody@remote.test",
                "Subject: Quarterly report");
        await("the queue is empty", Duration.ofSeconds(5), this::queueEmpty);
    }

    @Test
    void aDeadPortDefersThenSendsADelayNoticeThenAFailureNotice() throws Exception {
        int dead = Ports.free();
        server = PosthornServer.start(config(dead));
        String id = server.enqueue("alice@posthorn.test", List.of("bob@remote.test"), MESSAGE.getBytes(StandardCharsets.UTF_8));

        await("the first deferral", Duration.ofSeconds(10), () -> unchecked(() -> {
            MessageState s = StateFile.read(queueDir(), id);
            return s != null && s.recipients.get(0).status == RecipientStatus.DEFERRED;
        }));
        await("a delay notice", Duration.ofSeconds(15), () -> unchecked(() -> mails("alice").size() >= 1));
        String delay = mails("alice").get(0);
        assertThat(delay).contains("Subject: Delayed Mail (still being retried)", "Action: delayed", "Status: 4.4.1",
                "451 4.4.1 Connection refused by 127.0.0.1:" + dead, "Will-Retry-Until: ",
                "Content-Type: text/rfc822-headers");

        await("a failure notice", Duration.ofSeconds(30), () -> unchecked(() -> mails("alice").size() >= 2));
        String failure = mails("alice").get(1);
        assertThat(failure).contains("Subject: Undelivered Mail Returned to Sender", "Action: failed", "has now given up",
                "Diagnostic-Code: x-posthorn; 451 4.4.1 Connection refused by 127.0.0.1:" + dead);
        await("the queue is empty", Duration.ofSeconds(5), this::queueEmpty);
        Thread.sleep(1500);
        assertThat(mails("alice")).hasSize(2);
    }

    @Test
    void aBounceIsNeverBouncedAndNotifyNeverIsHonoured() throws Exception {
        peer.rcptReplies.put("nobody@remote.test", "550 5.1.1 unknown");
        server = PosthornServer.start(config(peer.port()));
        server.enqueue("", List.of("nobody@remote.test"), MESSAGE.getBytes(StandardCharsets.UTF_8));
        server.enqueue("alice@posthorn.test", List.of(new EnvelopeRecipient("nobody@remote.test", Set.of("NEVER"), null,
                false)), null, null, false, MESSAGE.getBytes(StandardCharsets.UTF_8));
        await("both are gone from the queue", Duration.ofSeconds(10), this::queueEmpty);
        Thread.sleep(1000);
        assertThat(mails("alice")).isEmpty();
        assertThat(mails("postmaster")).isEmpty();
    }

    @Test
    void dsnParametersShapeTheBounce() throws Exception {
        peer.rcptReplies.put("nobody@remote.test", "550 5.1.1 unknown");
        server = PosthornServer.start(config(peer.port()));
        server.enqueue("alice@posthorn.test", List.of(new EnvelopeRecipient("nobody@remote.test", Set.of("FAILURE"),
                "rfc822;Nobody@remote.test", false)), "HDRS", "ENV-77", false, MESSAGE.getBytes(StandardCharsets.UTF_8));
        await("a bounce reaches alice", Duration.ofSeconds(10), () -> unchecked(() -> mails("alice").size() == 1));
        assertThat(mails("alice").get(0)).contains("Original-Envelope-Id: ENV-77", "Original-Recipient: rfc822; Nobody@remote.test",
                "Content-Type: text/rfc822-headers").doesNotContain("Hello Bob");
    }

    @Test
    void aDeferredMessageSurvivesARestartWithItsHistory() throws Exception {
        int port = Ports.free();
        PosthornConfig config = config(port);
        config.queue.retryIntervalsSeconds = new ArrayList<>(List.of(2L));
        config.queue.giveUpAfterSeconds = 3600;
        config.queue.delayNoticeAfterSeconds = 3600;
        server = PosthornServer.start(config);
        String id = server.enqueue("alice@posthorn.test", List.of("bob@remote.test"), MESSAGE.getBytes(StandardCharsets.UTF_8));
        await("the first deferral", Duration.ofSeconds(10), () -> unchecked(() -> {
            MessageState s = StateFile.read(queueDir(), id);
            return s != null && s.recipients.get(0).status == RecipientStatus.DEFERRED;
        }));
        server.close();
        server = null;

        try (ScriptedSmtpPeer revived = ScriptedSmtpPeer.startOn(java.net.InetAddress.getLoopbackAddress(), port)) {
            server = PosthornServer.start(config);
            assertThat(revived.take(Duration.ofSeconds(15)).text()).isEqualTo(MESSAGE);
            await("the queue is empty", Duration.ofSeconds(5), this::queueEmpty);
            server.close();
            server = null;
        }
    }

    @Test
    void mxLookupOnTheConfiguredDnsServerFindsThePeerAndANullMxBouncesWith556() throws Exception {
        Path dnsDir = Files.createDirectories(dir.resolve("dns"));
        try (var dns = dev.posthorn.delivery.fixtures.UnboundServer.start(dnsDir, List.of("test."), List.of(
                "viamx.test. MX 10 mx.viamx.test.", "mx.viamx.test. A 127.0.0.1", "nullmx.test. MX 0 ."))) {
            PosthornConfig c = config(1);
            c.routes.clear();
            c.dns.servers = List.of(dns.address());
            c.outboundTls.dane = false; // the zone is unsigned and the root's anchor cannot be reached from a test
            c.queue.remotePort = peer.port();
            server = PosthornServer.start(c);
            server.enqueue("alice@posthorn.test", List.of("bob@viamx.test"), MESSAGE.getBytes(StandardCharsets.UTF_8));
            server.enqueue("alice@posthorn.test", List.of("bob@nullmx.test"), MESSAGE.getBytes(StandardCharsets.UTF_8));

            assertThat(peer.take(Duration.ofSeconds(10)).rcptTo()).containsExactly("bob@viamx.test");
            await("a bounce reaches alice", Duration.ofSeconds(10), () -> unchecked(() -> mails("alice").size() == 1));
            assertThat(mails("alice").get(0)).contains("Status: 5.1.10", "556 5.1.10 Recipient address has null MX",
                    "Final-Recipient: rfc822; bob@nullmx.test", "Posthorn could not deliver it:");
            await("the queue is empty", Duration.ofSeconds(5), this::queueEmpty);
        }
    }

    @Test
    void notifySuccessGetsARelayedNoticeOnlyWhenTheRemoteCannotSendOne() throws Exception {
        server = PosthornServer.start(config(peer.port()));
        server.enqueue("alice@posthorn.test", List.of(new EnvelopeRecipient("bob@remote.test", Set.of("SUCCESS", "FAILURE"),
                null, false)), null, null, false, MESSAGE.getBytes(StandardCharsets.UTF_8));
        peer.take(Duration.ofSeconds(10));
        await("a relayed notice reaches alice", Duration.ofSeconds(10), () -> unchecked(() -> mails("alice").size() == 1));
        assertThat(mails("alice").get(0)).contains("Subject: Successful Mail Delivery Report", "Action: relayed",
                "Status: 2.0.0", "Content-Type: text/rfc822-headers");

        peer.extensions.add("DSN");
        peer.dropConnections(); // the lingering connection saw the old EHLO reply
        server.enqueue("alice@posthorn.test", List.of(new EnvelopeRecipient("carol@remote.test", Set.of("SUCCESS"),
                null, false)), null, null, false, MESSAGE.getBytes(StandardCharsets.UTF_8));
        peer.take(Duration.ofSeconds(10));
        assertThat(peer.commands).contains("RCPT TO:<carol@remote.test> NOTIFY=SUCCESS");
        await("the queue is empty", Duration.ofSeconds(5), this::queueEmpty);
        Thread.sleep(1000);
        assertThat(mails("alice")).hasSize(1);
    }

    @Test
    void connectionsToOneDestinationStayWithinTheLimitAndCarrySeveralMessages() throws Exception {
        peer.replyDelay = Duration.ofMillis(100);
        PosthornConfig c = config(peer.port());
        c.queue.maxConnectionsPerDestination = 2;
        server = PosthornServer.start(c);
        for (int i = 0; i < 12; i++) {
            server.enqueue("alice@posthorn.test", List.of("rcpt" + i + "@remote.test"), MESSAGE.getBytes(StandardCharsets.UTF_8));
        }
        for (int i = 0; i < 12; i++) {
            peer.take(Duration.ofSeconds(20));
        }
        assertThat(peer.maxActive.get()).isLessThanOrEqualTo(2);
        assertThat(peer.connections.get()).isLessThan(12);
        await("the queue is empty", Duration.ofSeconds(5), this::queueEmpty);
    }

    @Test
    void aMessageThatNeedsSmtputf8BouncesWith5_6_7WhenThePeerLacksIt() throws Exception {
        peer.extensions.remove("SMTPUTF8");
        server = PosthornServer.start(config(peer.port()));
        server.enqueue("alice@posthorn.test", List.of(new EnvelopeRecipient("bøb@remote.test", Set.of(), null, false)),
                null, null, true, MESSAGE.getBytes(StandardCharsets.UTF_8));
        await("a bounce reaches alice", Duration.ofSeconds(10), () -> unchecked(() -> mails("alice").size() == 1));
        assertThat(mails("alice").get(0)).contains("Status: 5.6.7", "does not support SMTPUTF8",
                "Final-Recipient: rfc822; bøb@remote.test");
        assertThat(peer.commands).noneMatch(l -> l.startsWith("MAIL"));
    }
}
