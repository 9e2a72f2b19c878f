package dev.posthorn.delivery.target;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.posthorn.delivery.QueueConfig;
import dev.posthorn.delivery.fixtures.ScriptedSmtpPeer;
import dev.posthorn.delivery.lmtp.LmtpEndpoint;
import dev.posthorn.delivery.remote.Outcome;
import dev.posthorn.delivery.remote.RemoteReply;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The wired connector ({@link LmtpClientConnector} over {@code LmtpClient}) against a scripted LMTP peer on
 * loopback: the client's verdict for each recipient reaches the queue as is (from the second queue review's
 * ReviewLmtpConnectorTest), and a client that sent nothing says so.
 */
@Timeout(30)
class LmtpClientConnectorTest {

    private static final byte[] BODY = "Subject: x\r\n\r\nbody\r\n".getBytes();

    private static LmtpConnector.Deadlines deadlines() {
        QueueConfig queue = new QueueConfig();
        queue.connectTimeoutSeconds = 5;
        queue.commandTimeoutSeconds = 5;
        queue.dataEndTimeoutSeconds = 5;
        return LmtpConnector.Deadlines.from(queue);
    }

    private static MessageContent content() {
        return new BytesContent(BODY);
    }

    private static ScriptedSmtpPeer lmtpPeer() throws Exception {
        ScriptedSmtpPeer peer = ScriptedSmtpPeer.start();
        peer.lmtp = true;
        peer.greeting = "220 lmtp.peer.test LMTP ready";
        return peer;
    }

    private static LmtpEndpoint endpoint(int port) {
        return LmtpEndpoint.parse("lmtp:127.0.0.1:" + port);
    }

    private static List<Outcome> deliver(ScriptedSmtpPeer peer, List<String> to) {
        try (LmtpTarget target = new LmtpTarget(endpoint(peer.port()), new LmtpClientConnector("posthorn.test"),
                deadlines())) {
            Delivery d = target.start(new TargetMessage("MXQID1", Instant.now(), "alice@posthorn.test", false, false,
                    null, null, false));
            for (int i = 0; i < to.size(); i++) {
                d.addRecipient(new TargetRecipient(to.get(i), i, Set.of(), null));
            }
            d.body(content());
            return d.commit();
        }
    }

    private static List<LmtpConnector.Reply> send(ScriptedSmtpPeer peer, List<String> to) throws Exception {
        try (LmtpConnector.Client client = new LmtpClientConnector("posthorn.test").open(endpoint(peer.port()),
                deadlines())) {
            return client.send("alice@posthorn.test", to, content(), false, false);
        }
    }

    /** RFC 5321 §4.5.3.1.10 (RecipientResult.status()): a 552 to RCPT is taken as 452; the recipient is deferred. */
    @Test
    void a552ToRcptIsDeferredNotBounced() throws Exception {
        try (ScriptedSmtpPeer peer = lmtpPeer()) {
            peer.rcptReplies.put("many@peer.test", "552 5.5.3 Too many recipients");
            peer.rcptReplies.put("gone@peer.test", "550 5.1.1 No such user");
            List<Outcome> outcomes = deliver(peer, List.of("ok@peer.test", "many@peer.test", "gone@peer.test"));
            assertThat(outcomes).extracting(Outcome::kind).containsExactly(Outcome.Kind.DELIVERED,
                    Outcome.Kind.DEFERRED, Outcome.Kind.FAILED);
            assertThat(outcomes.get(1).reply().code()).isEqualTo(552);
            assertThat(outcomes.get(1).reply().enhanced()).isEqualTo("5.5.3");
        }
    }

    /** The reply after the final dot never came for the second recipient: deferred, and flagged as unconfirmed. */
    @Test
    void aMissingReplyAfterTheDotIsDeferredAndUnconfirmed() throws Exception {
        try (ScriptedSmtpPeer peer = lmtpPeer()) {
            peer.lmtpRepliesBeforeFailure = 1;
            List<LmtpConnector.Reply> replies = send(peer, List.of("first@peer.test", "second@peer.test"));
            assertThat(replies.get(0).kind()).isEqualTo(Outcome.Kind.DELIVERED);
            assertThat(replies.get(0).unconfirmed()).isFalse();
            assertThat(replies.get(1).kind()).isEqualTo(Outcome.Kind.DEFERRED);
            assertThat(replies.get(1).unconfirmed()).isTrue();
            assertThat(replies.get(1).reply().transientFailure()).isTrue();
        }
    }

    /** The server died at DATA: nothing reached a mailbox (RFC 2033 §4.2); every recipient is deferred, confirmed. */
    @Test
    void aConnectionLostBeforeTheDotDefersEveryRecipient() throws Exception {
        try (ScriptedSmtpPeer peer = lmtpPeer()) {
            peer.hangUpAt = "DATA";
            List<LmtpConnector.Reply> replies = send(peer, List.of("first@peer.test", "second@peer.test"));
            assertThat(replies).extracting(LmtpConnector.Reply::kind)
                    .containsExactly(Outcome.Kind.DEFERRED, Outcome.Kind.DEFERRED);
            assertThat(replies).extracting(LmtpConnector.Reply::unconfirmed).containsExactly(false, false);
            assertThat(replies).allSatisfy(r -> assertThat(r.reply().transientFailure()).isTrue());
        }
    }

    @Test
    void noServerOrAClosedClientHasSentNothing() throws Exception {
        int free;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            free = s.getLocalPort();
        }
        try (LmtpConnector.Client client = new LmtpClientConnector("posthorn.test").open(endpoint(free),
                deadlines())) {
            assertThatThrownBy(() -> client.send("alice@posthorn.test", List.of("a@peer.test"), content(), false,
                    false)).isInstanceOf(LmtpConnector.NothingSent.class);
        }
        try (ScriptedSmtpPeer peer = lmtpPeer()) {
            LmtpConnector.Client client = new LmtpClientConnector("posthorn.test").open(endpoint(peer.port()),
                    deadlines());
            client.close();
            assertThatThrownBy(() -> client.send("alice@posthorn.test", List.of("a@peer.test"), content(), false,
                    false)).isInstanceOf(LmtpConnector.NothingSent.class).hasMessageContaining("closed");
            assertThat(peer.received).isEmpty();
        }
    }

    /** RFC 5321 §4.2.1: a 3xx completes nothing; whatever a client says, it is never counted as delivered. */
    @Test
    void aThreeHundredReplyIsNeverDelivered() {
        RemoteReply startMail = new RemoteReply(354, null, List.of("go ahead"));
        assertThat(new LmtpConnector.Reply(startMail, false, Outcome.Kind.DELIVERED).kind())
                .isEqualTo(Outcome.Kind.DEFERRED);
        assertThat(new LmtpConnector.Reply(startMail, false).kind()).isEqualTo(Outcome.Kind.DEFERRED);
    }
}
