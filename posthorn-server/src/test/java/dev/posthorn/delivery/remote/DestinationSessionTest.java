package dev.posthorn.delivery.remote;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.delivery.DnsConfig;
import dev.posthorn.delivery.QueueConfig;
import dev.posthorn.delivery.RelayConfig;
import dev.posthorn.delivery.fixtures.Ports;
import dev.posthorn.delivery.fixtures.ScriptedSmtpPeer;
import dev.posthorn.delivery.fixtures.UnboundServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Routing and delivery attempts: real DNS (unbound) on loopback, a scripted SMTP peer as the MX. */
@Timeout(60)
class DestinationSessionTest {

    @TempDir
    static Path dnsDir;
    static UnboundServer dns;

    @TempDir
    Path dir;
    ScriptedSmtpPeer peer;
    Path content;

    @BeforeAll
    static void startDns() throws Exception {
        dns = UnboundServer.start(dnsDir, List.of("test."), List.of(
                "remote.test. MX 10 dead.remote.test.",
                "remote.test. MX 20 live.remote.test.",
                "dead.remote.test. A 127.0.0.2",
                "live.remote.test. A 127.0.0.1",
                "v6.test. MX 10 mx.v6.test.",
                "mx.v6.test. AAAA ::1",
                "nullmx.test. MX 0 .",
                "loop.test. MX 10 posthorn.test.",
                "posthorn.test. A 127.0.0.1",
                "backup.test. MX 5 live.remote.test.",
                "backup.test. MX 10 posthorn.test."));
    }

    @AfterAll
    static void stopDns() {
        dns.close();
    }

    @BeforeEach
    void start() throws Exception {
        peer = ScriptedSmtpPeer.start();
        content = dir.resolve("m.msg");
        Files.writeString(content, "Subject: t\r\n\r\nbody\r\n", StandardCharsets.UTF_8);
    }

    @AfterEach
    void stop() throws Exception {
        peer.close();
    }

    private MxResolver resolver() {
        DnsConfig c = new DnsConfig();
        c.servers = List.of(dns.address());
        c.timeoutSeconds = 2;
        return MxResolver.from(c);
    }

    private OutboundMessage message(String rcpt) throws Exception {
        return new OutboundMessage("a@posthorn.test", List.of(OutboundMessage.Recipient.of(rcpt)), content,
                Files.size(content), false, false, null, null);
    }

    private DestinationSession session(Route route) {
        return new DestinationSession(route, resolver(), ClientSettings.uniform("posthorn.test", Duration.ofSeconds(5)), 100);
    }

    @Test
    void theNextMxIsUsedWhenTheFirstRefusesAndTheConnectionIsReused() throws Exception {
        Router router = new Router(Map.of(), null, new QueueConfig(), peer.port());
        try (DestinationSession s = session(router.route("remote.test"))) {
            Outcome first = s.deliver(message("bob@remote.test")).get(0);
            assertThat(first.kind()).isEqualTo(Outcome.Kind.DELIVERED);
            assertThat(first.remoteHost()).isEqualTo("live.remote.test [127.0.0.1]:" + peer.port());
            assertThat(s.deliver(message("carol@remote.test")).get(0).kind()).isEqualTo(Outcome.Kind.DELIVERED);
        }
        assertThat(peer.received).hasSize(2);
        assertThat(peer.connections.get()).isEqualTo(1);
    }

    @Test
    void anIpv6OnlyMxIsReachedOverIpv6() throws Exception {
        try (ScriptedSmtpPeer v6 = ScriptedSmtpPeer.startOn(java.net.InetAddress.getByName("::1"));
             DestinationSession s = session(new Route.Mx("v6.test", v6.port(), TlsPolicy.OPPORTUNISTIC))) {
            Outcome o = s.deliver(message("bob@v6.test")).get(0);
            assertThat(o.kind()).isEqualTo(Outcome.Kind.DELIVERED);
            assertThat(o.remoteHost()).isEqualTo("mx.v6.test [0:0:0:0:0:0:0:1]:" + v6.port());
        }
    }

    @Test
    void aNullMxFailsAtOnceWith556() throws Exception {
        try (DestinationSession s = session(new Route.Mx("nullmx.test", peer.port(), TlsPolicy.OPPORTUNISTIC))) {
            Outcome o = s.deliver(message("bob@nullmx.test")).get(0);
            assertThat(o.kind()).isEqualTo(Outcome.Kind.FAILED);
            assertThat(o.reply().code()).isEqualTo(556);
            assertThat(o.reply().enhanced()).isEqualTo("5.1.10");
        }
        assertThat(peer.connections.get()).isZero();
    }

    @Test
    void aDomainThatDoesNotExistFails() throws Exception {
        try (DestinationSession s = session(new Route.Mx("absent.test", peer.port(), TlsPolicy.OPPORTUNISTIC))) {
            Outcome o = s.deliver(message("bob@absent.test")).get(0);
            assertThat(o.kind()).isEqualTo(Outcome.Kind.FAILED);
            assertThat(o.reply().enhanced()).isEqualTo("5.1.2");
        }
    }

    @Test
    void aDeadStaticRouteDefers() throws Exception {
        int dead = Ports.free();
        Router router = new Router(Map.of("remote.test", "127.0.0.1:" + dead), null, new QueueConfig(), 25);
        try (DestinationSession s = session(router.route("remote.test"))) {
            Outcome o = s.deliver(message("bob@remote.test")).get(0);
            assertThat(o.kind()).isEqualTo(Outcome.Kind.DEFERRED);
            assertThat(o.reply().oneLine()).isEqualTo("451 4.4.1 Connection refused by 127.0.0.1:" + dead);
        }
    }

    @Test
    void requiredTlsDefersWhenThePeerDoesNotOfferIt() throws Exception {
        Router router = new Router(Map.of("remote.test", "127.0.0.1:" + peer.port() + " tls=required"), null, new QueueConfig(), 25);
        try (DestinationSession s = session(router.route("remote.test"))) {
            Outcome o = s.deliver(message("bob@remote.test")).get(0);
            assertThat(o.kind()).isEqualTo(Outcome.Kind.DEFERRED);
            assertThat(o.reply().enhanced()).isEqualTo("4.7.10");
        }
        assertThat(peer.received).isEmpty();
    }

    @Test
    void opportunisticTlsIsUsedWhenOffered() throws Exception {
        peer.enableTls(dir);
        Router router = new Router(Map.of("remote.test", "127.0.0.1:" + peer.port()), null, new QueueConfig(), 25);
        try (DestinationSession s = session(router.route("remote.test"))) {
            assertThat(s.deliver(message("bob@remote.test")).get(0).kind()).isEqualTo(Outcome.Kind.DELIVERED);
        }
        assertThat(peer.take(Duration.ofSeconds(5)).tls()).isTrue();
    }

    @Test
    void theSmarthostGetsEverythingWithAuthOverTls() throws Exception {
        peer.enableTls(dir);
        peer.requiredAuth = "relayuser:relaypass";
        peer.extensions.add("AUTH PLAIN LOGIN");
        RelayConfig relay = new RelayConfig();
        relay.host = "127.0.0.1";
        relay.port = peer.port();
        relay.user = "relayuser";
        relay.password = "relaypass";
        Router router = new Router(Map.of(), relay, new QueueConfig(), 25);
        try (DestinationSession s = session(router.route("anywhere.example"))) {
            assertThat(s.deliver(message("x@anywhere.example")).get(0).kind()).isEqualTo(Outcome.Kind.DELIVERED);
        }
        ScriptedSmtpPeer.Received got = peer.take(Duration.ofSeconds(5));
        assertThat(got.authUser()).isEqualTo("relayuser");
        assertThat(got.tls()).isTrue();
    }

    @Test
    void aPeerThatAnswers550GivesAFailureWithItsExactWords() throws Exception {
        peer.rcptReplies.put("nobody@remote.test", "550 5.1.1 <nobody@remote.test>: Recipient address rejected: User unknown");
        try (DestinationSession s = session(new Route.Static("127.0.0.1", peer.port(), TlsPolicy.OPPORTUNISTIC))) {
            Outcome o = s.deliver(message("nobody@remote.test")).get(0);
            assertThat(o.kind()).isEqualTo(Outcome.Kind.FAILED);
            assertThat(o.reply().wire()).isEqualTo("550 5.1.1 <nobody@remote.test>: Recipient address rejected: User unknown");
        }
    }

    @Test
    void aReusedConnectionThatTheRemoteClosedIsReplacedWithoutDeferringTheMessage() throws Exception {
        try (DestinationSession s = session(new Route.Static("127.0.0.1", peer.port(), TlsPolicy.OPPORTUNISTIC))) {
            assertThat(s.deliver(message("bob@remote.test")).get(0).kind()).isEqualTo(Outcome.Kind.DELIVERED);
            peer.dropConnections(); // as a server does with an idle connection
            Thread.sleep(200);
            assertThat(s.deliver(message("carol@remote.test")).get(0).kind()).isEqualTo(Outcome.Kind.DELIVERED);
        }
        assertThat(peer.connections.get()).isEqualTo(2);
        assertThat(peer.received).hasSize(2);
    }

    @Test
    void anAddressLiteralIsDeliveredToThatAddressWithoutMx() throws Exception {
        try (DestinationSession s = session(new Router(Map.of(), null, new QueueConfig(), peer.port()).route("[127.0.0.1]"))) {
            Outcome o = s.deliver(message("bob@[127.0.0.1]")).get(0);
            assertThat(o.kind()).isEqualTo(Outcome.Kind.DELIVERED);
        }
        assertThat(peer.take(Duration.ofSeconds(5)).rcptTo()).containsExactly("bob@[127.0.0.1]");
    }

    @Test
    void anMxListWithOurOwnNameAtTheTopIsALoop() throws Exception {
        try (DestinationSession s = session(new Route.Mx("loop.test", peer.port(), TlsPolicy.OPPORTUNISTIC))) {
            Outcome o = s.deliver(message("bob@loop.test")).get(0);
            assertThat(o.kind()).isEqualTo(Outcome.Kind.FAILED);
            assertThat(o.reply().enhanced()).isEqualTo("5.4.0");
        }
        assertThat(peer.connections.get()).isZero();
    }

    @Test
    void morePreferredMxHostsThanOurselvesAreStillUsed() throws Exception {
        try (DestinationSession s = session(new Route.Mx("backup.test", peer.port(), TlsPolicy.OPPORTUNISTIC))) {
            assertThat(s.deliver(message("bob@backup.test")).get(0).kind()).isEqualTo(Outcome.Kind.DELIVERED);
        }
    }
}
