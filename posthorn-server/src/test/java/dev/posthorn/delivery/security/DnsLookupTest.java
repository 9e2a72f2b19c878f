package dev.posthorn.delivery.security;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.posthorn.delivery.DnsConfig;
import dev.posthorn.delivery.OutboundTlsConfig;
import dev.posthorn.delivery.fixtures.ScriptedSmtpPeer;
import dev.posthorn.delivery.fixtures.SignedZone;
import dev.posthorn.delivery.fixtures.UnboundServer;
import dev.posthorn.delivery.remote.MxResolver;
import dev.posthorn.delivery.remote.MxResult;
import dev.posthorn.delivery.remote.Outcome;
import dev.posthorn.delivery.remote.SecureDelivery;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.Type;

/**
 * The outbound path's DNS client against real resolvers (unbound on loopback): CNAME chains walked inside one
 * answer, and what happens when the resolvers do not pass DNSSEC records through, so that nothing validates.
 */
@Timeout(120)
class DnsLookupTest {

    @TempDir
    Path dir;
    ListAppender<ILoggingEvent> log;
    Logger posthorn;
    Level level;

    @BeforeEach
    void captureLog() {
        posthorn = (Logger) LoggerFactory.getLogger("dev.posthorn");
        log = new ListAppender<>();
        log.start();
        posthorn.addAppender(log);
        level = posthorn.getLevel();
        posthorn.setLevel(Level.INFO); // the recovery is logged at INFO

    }

    @AfterEach
    void releaseLog() {
        posthorn.detachAppender(log);
        posthorn.setLevel(level);
    }

    private List<String> errors() {
        return log.list.stream().filter(e -> e.getLevel() == Level.ERROR).map(ILoggingEvent::getFormattedMessage)
                .toList();
    }

    @Test
    void anUnsignedDomainBehindAStrippingResolverIsDeliveredWithDaneMarkedUnavailable() throws Exception {
        // The anchor's zone (standing in for the root) is served unsigned, as by a resolver that strips DNSSEC
        // records: nothing can be proved, not even that an unsigned domain is unsigned.
        SignedZone signed = SignedZone.sign(dir.resolve("zone"), "anchor.test.", List.of(), s -> s);
        try (ScriptedSmtpPeer mx = ScriptedSmtpPeer.startOn(InetAddress.getByName("127.0.0.1"));
             UnboundServer dns = UnboundServer.start(Files.createDirectories(dir.resolve("dns")), List.of("anchor.test."),
                     List.of("unsigned.anchor.test. MX 10 mx.unsigned.anchor.test.",
                             "mx.unsigned.anchor.test. A 127.0.0.1"))) {
            OutboundTlsConfig tls = new OutboundTlsConfig();
            tls.trustAnchorFile = signed.anchor().toString();
            tls.mtaSts = false;
            DnsConfig dnsConfig = new DnsConfig();
            dnsConfig.servers = List.of(dns.address());
            try (SecureDelivery secure = SecureDelivery.create(tls, dnsConfig, Files.createDirectories(dir.resolve("data")),
                    "client.posthorn.test", Clock.systemUTC(), (to, m) -> { })) {
                secure.start(); // checks DNSSEC in the background, as at server start-up
                Instant deadline = Instant.now().plusSeconds(30);
                while (secure.dnssec().available() && Instant.now().isBefore(deadline)) {
                    Thread.sleep(50);
                }
                assertThat(secure.dnssec().available()).as("DNSSEC found unavailable").isFalse();
                assertThat(errors()).singleElement().asString().startsWith("DNSSEC is unavailable through [dns] servers = ["
                        + dns.address() + "]: ").contains("DANE is off", "mail still flows",
                        "point [dns] servers at a resolver that passes DNSSEC records through (e.g. a local unbound)",
                        "dane = false");

                List<Outcome> outcomes = DanePeers.deliver(dir, secure, mx.port(), "unsigned.anchor.test",
                        "stripped@posthorn.test");

                Outcome o = outcomes.get(0);
                assertThat(o.kind()).as("%s", o).isEqualTo(Outcome.Kind.DELIVERED);
                assertThat(o.security().level()).isEqualTo(SecurityLevel.NONE); // the peer offers no STARTTLS
                assertThat(o.security().decidedBy()).startsWith("DNSSEC unavailable: ");
                assertThat(mx.take(Duration.ofSeconds(10)).mailFrom()).isEqualTo("stripped@posthorn.test");
            }
            // A lookup made before any check (the start-up check still running) is not deferred either: its bogus
            // answer makes the check at once, and the lookup is asked again without validation.
            DnsLookup validating = DnsLookup.validating(MxResolver.resolverFor(dnsConfig), signed.anchor());
            MxResolver resolver = new MxResolver(validating, RandomGenerator.getDefault());
            assertThat(resolver.resolve("unsigned.anchor.test")).isInstanceOfSatisfying(MxResult.Hosts.class,
                    h -> assertThat(h.secure()).isFalse());
            assertThat(validating.dnssecAvailable()).isFalse();
        }
    }

    @Test
    void aRunOfBogusAnswersRechecksWhetherDnssecStillWorks() throws Exception {
        SignedZone zone = SignedZone.sign(dir.resolve("zone"), "watch.test.", List.of(
                "mx.watch.test. IN A 127.0.0.1",
                "alias.watch.test. IN CNAME mx.watch.test."), s -> s);
        try (UnboundServer signedDns = UnboundServer.start(Files.createDirectories(dir.resolve("signed")), List.of(),
                List.of(), Map.of("watch.test.", zone.signedFile()));
             UnboundServer strippingDns = UnboundServer.start(Files.createDirectories(dir.resolve("stripping")),
                     List.of("watch.test."), List.of("mx.watch.test. A 127.0.0.1"))) {
            DnsConfig signedConfig = new DnsConfig();
            signedConfig.servers = List.of(signedDns.address());
            DnsConfig strippingConfig = new DnsConfig();
            strippingConfig.servers = List.of(strippingDns.address());
            Switch upstream = new Switch(MxResolver.resolverFor(signedConfig));
            DnsLookup dns = DnsLookup.validating(upstream, zone.anchor(), "the test's resolvers");
            Name alias = Name.fromString("alias.watch.test.");

            // The CNAME and its target's record come in one answer: the target is the records' owner.
            DnsAnswer.Found found = (DnsAnswer.Found) dns.query(alias, Type.A);
            assertThat(found.canonical()).isEqualTo(Name.fromString("mx.watch.test."));
            assertThat(found.secure()).isTrue();

            dns.dnssec().start();
            assertThat(dns.dnssec().check()).isEqualTo(DnssecStatus.Verdict.AVAILABLE);
            assertThat(errors()).isEmpty();

            // The resolvers start stripping DNSSEC records: answers turn bogus, and a run of them wakes the check
            // (at most every 10 s), long before the next periodic one (10 minutes).
            upstream.to(MxResolver.resolverFor(strippingConfig));
            Instant deadline = Instant.now().plusSeconds(40);
            while (dns.dnssecAvailable() && Instant.now().isBefore(deadline)) {
                DnsAnswer answer = dns.query(Name.fromString("mx.watch.test."), Type.A);
                if (dns.dnssecAvailable()) { // still validated when asked (it never becomes available again here)
                    assertThat(answer).isInstanceOf(DnsAnswer.Failed.class);
                }
                Thread.sleep(200);
            }
            assertThat(dns.dnssecAvailable()).as("DNSSEC found unavailable after bogus answers").isFalse();
            assertThat(errors()).singleElement().asString().startsWith("DNSSEC is unavailable through the test's "
                    + "resolvers: ");
            // Lookups go on without validation.
            assertThat(dns.query(Name.fromString("mx.watch.test."), Type.A)).isInstanceOfSatisfying(DnsAnswer.Found.class,
                    f -> assertThat(f.secure()).isFalse());
            // The resolvers are mended: the next check says so, and answers are validated again.
            upstream.to(MxResolver.resolverFor(signedConfig));
            assertThat(dns.dnssec().check()).isEqualTo(DnssecStatus.Verdict.AVAILABLE);
            assertThat(log.list).anySatisfy(e -> assertThat(e.getFormattedMessage())
                    .isEqualTo("DNSSEC validation through the test's resolvers works again: DANE applies again"));
            assertThat(dns.query(Name.fromString("mx.watch.test."), Type.A)).isInstanceOfSatisfying(DnsAnswer.Found.class,
                    f -> assertThat(f.secure()).isTrue());
            dns.dnssec().close();
        }
    }

    /** Sends to one resolver, then another: a network whose resolvers change under a running server. */
    private static final class Switch implements Resolver {
        private volatile Resolver to;

        Switch(Resolver to) {
            this.to = to;
        }

        void to(Resolver next) {
            to = next;
        }

        @Override
        public void setPort(int port) {
            to.setPort(port);
        }

        @Override
        public void setTCP(boolean flag) {
            to.setTCP(flag);
        }

        @Override
        public void setIgnoreTruncation(boolean flag) {
            to.setIgnoreTruncation(flag);
        }

        @Override
        public void setEDNS(int version, int payloadSize, int flags, List<EDNSOption> options) {
            to.setEDNS(version, payloadSize, flags, options);
        }

        @Override
        public void setTSIGKey(TSIG key) {
            to.setTSIGKey(key);
        }

        @Override
        public void setTimeout(Duration timeout) {
            to.setTimeout(timeout);
        }

        @Override
        public Duration getTimeout() {
            return to.getTimeout();
        }

        @Override
        public Message send(Message query) throws IOException {
            return to.send(query);
        }

        @Override
        public CompletionStage<Message> sendAsync(Message query) {
            return to.sendAsync(query);
        }

        @Override
        public CompletionStage<Message> sendAsync(Message query, Executor executor) {
            return to.sendAsync(query, executor);
        }
    }
}
