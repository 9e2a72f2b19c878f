package dev.posthorn.delivery.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.delivery.CatalogueExplainer;
import dev.posthorn.delivery.DnsConfig;
import dev.posthorn.delivery.OutboundTlsConfig;
import dev.posthorn.delivery.fixtures.PolicyWebServer;
import dev.posthorn.delivery.fixtures.PostfixServer;
import dev.posthorn.delivery.fixtures.ScriptedSmtpPeer;
import dev.posthorn.delivery.fixtures.UnboundServer;
import dev.posthorn.delivery.remote.Outcome;
import dev.posthorn.delivery.remote.SecureDelivery;
import dev.posthorn.delivery.remote.TlsPolicy;
import dev.posthorn.tls.TestPki;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * MTA-STS end to end (RFC 8461): TXT records from unbound on loopback, policies from an HTTPS server with a
 * certificate from a test CA (which Posthorn trusts through {@code mta_sts_trust_store}), a real Postfix as MX.
 */
@Timeout(180)
class MtaStsDeliveryTest {

    @TempDir
    static Path dir;
    static TestPki.Issued ca;
    static PostfixServer postfix;
    static UnboundServer dns;
    static PolicyWebServer web;
    static OutboundTlsConfig tls;
    static DnsConfig dnsConfig;
    static SecureDelivery secure;
    /** No STARTTLS (as if an attacker stripped it). */
    static ScriptedSmtpPeer noTls;
    /** A certificate for its MX names from a CA nobody trusts. */
    static ScriptedSmtpPeer untrusted;
    /** STARTTLS works, then every EHLO after it (and on a second connection) gets 421. */
    static ScriptedSmtpPeer leaky;
    /** Answers STARTTLS with 220 and hangs up before the handshake; plaintext otherwise works. */
    static ScriptedSmtpPeer dropper;

    static final List<String> DOMAINS = List.of("enforce", "wrongmx", "testing", "badcert", "down", "cached",
            "partner", "stripped", "untrusted", "leaky", "dropped", "twoaddr", "forged");
    /** Where each domain's MX host is, when not the Postfix on 127.0.0.1. */
    static final Map<String, List<String>> MX_ADDRESSES = Map.of("partner", List.of("127.0.0.5"),
            "stripped", List.of("127.0.0.5"), "untrusted", List.of("127.0.0.6"), "leaky", List.of("127.0.0.7"),
            "dropped", List.of("127.0.0.8"), "twoaddr", List.of("127.0.0.6", "127.0.0.8"));

    @BeforeAll
    static void start() throws Exception {
        ca = TestPki.issue(TestPki.ec(), null, true, "Posthorn Test CA");
        // The MX certificate names every MX host but mx-badcert.sts.test.
        TestPki.Issued mxCert = TestPki.issue(TestPki.ec(), ca, false, "mx.enforce.sts.test", "mx.elsewhere.sts.test",
                "mx.down.sts.test", "mx.cached.sts.test");
        postfix = DanePeers.postfixWithCertificate(dir, String.join(" ", DOMAINS.stream().map(d -> d + ".sts.test")
                .toList()), mxCert, ca);
        TestPki.Issued webCert = TestPki.issue(TestPki.ec(), ca, false, DOMAINS.stream()
                .map(d -> "mta-sts." + d + ".sts.test").toArray(String[]::new));
        web = PolicyWebServer.start(webCert.keys().getPrivate(), webCert.cert(), ca.cert());
        web.policies.put("enforce.sts.test", policy("enforce", "mx.enforce.sts.test"));
        web.policies.put("wrongmx.sts.test", policy("enforce", "mx.wrongmx.sts.test"));
        web.policies.put("testing.sts.test", policy("testing", "mx-badcert.sts.test"));
        web.policies.put("badcert.sts.test", policy("enforce", "*.sts.test"));
        web.policies.put("cached.sts.test", "version: STSv1\r\nmode: enforce\r\nmx: mx.cached.sts.test\r\nmax_age: 600\r\n");
        for (String d : List.of("partner", "leaky", "dropped")) {
            web.policies.put(d + ".sts.test", policy("testing", "mx." + d + ".sts.test"));
        }
        for (String d : List.of("stripped", "untrusted", "twoaddr")) {
            web.policies.put(d + ".sts.test", policy("enforce", "mx." + d + ".sts.test"));
        }
        // "forged" serves no policy (404): its TXT record announces an id whose policy cannot be had.
        int port = postfix.port();
        noTls = ScriptedSmtpPeer.startOn(InetAddress.getByName("127.0.0.5"), port);
        untrusted = ScriptedSmtpPeer.startOn(InetAddress.getByName("127.0.0.6"), port);
        TestPki.Issued otherCa = TestPki.issue(TestPki.ec(), null, true, "Untrusted CA");
        TestPki.Issued untrustedCert = TestPki.issue(TestPki.ec(), otherCa, false, "mx.untrusted.sts.test",
                "mx.twoaddr.sts.test");
        untrusted.enableTls(dir, untrustedCert.keys().getPrivate(), untrustedCert.cert(), otherCa.cert());
        leaky = ScriptedSmtpPeer.startOn(InetAddress.getByName("127.0.0.7"), port);
        leaky.enableTls(dir);
        leaky.ehloReply = (connection, tls) -> tls || connection > 1 ? "421 4.3.2 Shutting down" : null;
        dropper = ScriptedSmtpPeer.startOn(InetAddress.getByName("127.0.0.8"), port);
        dropper.extensions.add("STARTTLS");
        dropper.dropAtStartTls = true;
        List<String> data = new ArrayList<>();
        for (String d : DOMAINS) {
            String domain = d + ".sts.test.";
            String mx = switch (d) {
                case "wrongmx" -> "mx.elsewhere.sts.test.";
                case "testing", "badcert" -> "mx-badcert.sts.test.";
                default -> "mx." + domain;
            };
            data.add(domain + " MX 10 " + mx);
            for (String address : MX_ADDRESSES.getOrDefault(d, List.of("127.0.0.1"))) {
                data.add(mx + " A " + address);
            }
            data.add("_mta-sts." + domain + " TXT \"v=STSv1; id=" + d + (d.equals("forged") ? "2" : "1") + "\"");
            // The policy host of "down" is an address where nothing listens.
            data.add("mta-sts." + domain + " A " + (d.equals("down") ? "127.0.0.3" : "127.0.0.1"));
        }
        dns = UnboundServer.start(Files.createDirectories(dir.resolve("dns")), List.of("sts.test."), data);
        Path caFile = dir.resolve("ca.pem");
        Files.writeString(caFile, TestPki.certPem(ca.cert()));
        tls = new OutboundTlsConfig();
        tls.dane = false; // unsigned zone, and the root's anchor is out of reach in a test
        tls.mtaStsTrustStore = caFile.toString();
        tls.mtaStsPort = web.port();
        tls.mtaStsTimeoutSeconds = 3;
        dnsConfig = new DnsConfig();
        dnsConfig.servers = List.of(dns.address());
        secure = SecureDelivery.create(tls, dnsConfig, Files.createDirectories(dir.resolve("data")), "client.posthorn.test",
                Clock.systemUTC(), (to, m) -> { });
    }

    private static String policy(String mode, String mx) {
        return "version: STSv1\nmode: " + mode + "\nmx: " + mx + "\nmax_age: 86400\n";
    }

    @AfterAll
    static void stop() throws Exception {
        if (secure != null) {
            secure.close();
        }
        for (AutoCloseable c : new AutoCloseable[] {web, dns, postfix, noTls, untrusted, leaky, dropper}) {
            if (c != null) {
                c.close();
            }
        }
    }

    private static Outcome deliver(SecureDelivery via, String domain, String sender) throws Exception {
        return deliver(via, domain, sender, TlsPolicy.OPPORTUNISTIC);
    }

    private static Outcome deliver(SecureDelivery via, String domain, String sender, TlsPolicy routeTls)
            throws Exception {
        List<Outcome> outcomes = DanePeers.deliver(dir, via, postfix.port(), domain, sender, routeTls);
        assertThat(outcomes).hasSize(1);
        return outcomes.get(0);
    }

    @Test
    void enforceWithAMatchingMxAndAValidCertificateDeliversAtLevelMtaSts() throws Exception {
        Outcome o = deliver(secure, "enforce.sts.test", "enforce@posthorn.test");

        assertThat(o.kind()).as("%s\n%s", o, postfix.log()).isEqualTo(Outcome.Kind.DELIVERED);
        assertThat(o.security().level()).isEqualTo(SecurityLevel.MTA_STS);
        assertThat(o.security().decidedBy()).isEqualTo("MTA-STS id=enforce1 mode=enforce");
        postfix.awaitMessageContaining("marker enforce@posthorn.test", Duration.ofSeconds(30));
        assertThat(web.requests).contains("mta-sts.enforce.sts.test");
    }

    @Test
    void enforceWithAnMxTheatIsNotListedDefersNamingThePolicy() throws Exception {
        Outcome o = deliver(secure, "wrongmx.sts.test", "wrongmx@posthorn.test");

        assertThat(o.kind()).as("%s\n%s", o, postfix.log()).isEqualTo(Outcome.Kind.DEFERRED);
        assertThat(o.reply().oneLine()).isEqualTo("451 4.7.5 MTA-STS (MTA-STS id=wrongmx1 mode=enforce of "
                + "wrongmx.sts.test): MX host mx.elsewhere.sts.test is not allowed by the policy's mx patterns "
                + "(mx.wrongmx.sts.test)");
        assertThat(new CatalogueExplainer().explain(o.reply(), Locale.ENGLISH)).startsWith("4.7.5 Cryptographic Failure")
                .contains("\"mx:\" lines");
        assertThat(postfix.log()).doesNotContain("from=<wrongmx@posthorn.test>");
    }

    @Test
    void enforceRefusesACertificateForAnotherName() throws Exception {
        Outcome o = deliver(secure, "badcert.sts.test", "badcert@posthorn.test");

        assertThat(o.kind()).as("%s\n%s", o, postfix.log()).isEqualTo(Outcome.Kind.DEFERRED);
        assertThat(o.reply().oneLine()).startsWith("451 4.7.5 MTA-STS (MTA-STS id=badcert1 mode=enforce): the "
                + "certificate of mx-badcert.sts.test [127.0.0.1]").contains("certificate-host-mismatch");
        assertThat(o.security().failure()).isEqualTo(TlsRptResult.CERTIFICATE_HOST_MISMATCH);
        assertThat(postfix.log()).doesNotContain("from=<badcert@posthorn.test>");
    }

    @Test
    void testingModeDeliversDespiteABadCertificateAndReportsIt() throws Exception {
        Outcome o = deliver(secure, "testing.sts.test", "testing@posthorn.test");

        assertThat(o.kind()).as("%s\n%s", o, postfix.log()).isEqualTo(Outcome.Kind.DELIVERED);
        assertThat(o.security().level()).isEqualTo(SecurityLevel.OPPORTUNISTIC);
        assertThat(o.security().decidedBy()).isEqualTo("MTA-STS id=testing1 mode=testing");
        assertThat(o.security().failure()).isEqualTo(TlsRptResult.CERTIFICATE_HOST_MISMATCH);
        postfix.awaitMessageContaining("marker testing@posthorn.test", Duration.ofSeconds(30));
        TlsRptCollector.PolicyFigures figures = figures("testing.sts.test");
        assertThat(figures.type).isEqualTo("sts");
        assertThat(figures.failures).anySatisfy(f -> assertThat(f.resultType).isEqualTo("certificate-host-mismatch"));
    }

    @Test
    void anUnreachablePolicyHostWithoutCachedPolicyDeliversOpportunisticallyAndReportsTheFetchError() throws Exception {
        Outcome o = deliver(secure, "down.sts.test", "down@posthorn.test");

        assertThat(o.kind()).as("%s\n%s", o, postfix.log()).isEqualTo(Outcome.Kind.DELIVERED);
        assertThat(o.security().level()).isEqualTo(SecurityLevel.OPPORTUNISTIC);
        assertThat(o.security().failure()).isEqualTo(TlsRptResult.STS_POLICY_FETCH_ERROR);
        postfix.awaitMessageContaining("marker down@posthorn.test", Duration.ofSeconds(30));
        assertThat(figures("down.sts.test").failures)
                .anySatisfy(f -> assertThat(f.resultType).isEqualTo("sts-policy-fetch-error"));
    }

    @Test
    void aCachedPolicyOutlivesARestartAndAFailedRefresh() throws Exception {
        Path data = Files.createDirectories(dir.resolve("restart"));
        Instant start = Instant.now();
        try (SecureDelivery first = SecureDelivery.create(tls, dnsConfig, data, "client.posthorn.test",
                Clock.fixed(start, ZoneOffset.UTC), (to, m) -> { })) {
            assertThat(deliver(first, "cached.sts.test", "cached1@posthorn.test").security().level())
                    .isEqualTo(SecurityLevel.MTA_STS);
        }
        assertThat(data.resolve("mta-sts/cached.sts.test.json")).exists();
        // The policy server now answers 404, and the policy is past half its max_age: a refresh is tried and fails.
        web.policies.remove("cached.sts.test");
        int asked = web.requests.size();
        try (SecureDelivery second = SecureDelivery.create(tls, dnsConfig, data, "client.posthorn.test",
                Clock.fixed(start.plusSeconds(400), ZoneId.of("UTC")), (to, m) -> { })) {
            Outcome o = deliver(second, "cached.sts.test", "cached2@posthorn.test");
            assertThat(web.requests.size()).isGreaterThan(asked);
            assertThat(o.kind()).as("%s\n%s", o, postfix.log()).isEqualTo(Outcome.Kind.DELIVERED);
            assertThat(o.security().level()).isEqualTo(SecurityLevel.MTA_STS);
            assertThat(o.security().decidedBy()).isEqualTo("MTA-STS id=cached1 mode=enforce");
        }
    }

    @Test
    void aTestingPolicyDoesNotLowerAnOperatorsTlsRequired() throws Exception {
        // queue.tls_required_domains makes the route "required"; the domain's own policy is only "testing", and
        // STARTTLS is missing (stripped): the operator's requirement still holds.
        Outcome o = deliver(secure, "partner.sts.test", "partner@posthorn.test", TlsPolicy.REQUIRED);

        assertThat(o.kind()).as("%s", o).isEqualTo(Outcome.Kind.DEFERRED);
        assertThat(o.reply().oneLine()).isEqualTo("451 4.7.10 TLS is required for this destination but "
                + "mx.partner.sts.test [127.0.0.5]:" + postfix.port() + " does not offer STARTTLS");
        assertThat(noTls.commands).noneMatch(c -> c.startsWith("MAIL"));
        assertThat(noTls.received).isEmpty();
        // The policy's verdict is still counted for the domain's TLS report.
        assertThat(figures("partner.sts.test").failures)
                .anySatisfy(f -> assertThat(f.resultType).isEqualTo("starttls-not-supported"));
    }

    @Test
    void aTestingPolicyDoesNotLowerAnOperatorsTlsVerify() throws Exception {
        // queue.tls = "verify": the certificate must be trusted by the JDK's store, which knows nothing of the test
        // CA; the "testing" policy would deliver anyway, the operator's setting does not.
        Outcome o = deliver(secure, "testing.sts.test", "verify@posthorn.test", TlsPolicy.VERIFY);

        assertThat(o.kind()).as("%s\n%s", o, postfix.log()).isEqualTo(Outcome.Kind.DEFERRED);
        assertThat(o.reply().oneLine()).startsWith("451 4.7.5 tls=verify requires a trusted certificate, but the one "
                + "of mx-badcert.sts.test [127.0.0.1]:" + postfix.port() + " is refused: certificate-not-trusted: ");
        assertThat(o.remoteHost()).isEqualTo("mx-badcert.sts.test [127.0.0.1]:" + postfix.port());
        assertThat(postfix.log()).doesNotContain("from=<verify@posthorn.test>");
    }

    @Test
    void enforceWithStarttlsStrippedDefersAndSendsNothing() throws Exception {
        Outcome o = deliver(secure, "stripped.sts.test", "stripped@posthorn.test");

        assertThat(o.kind()).as("%s", o).isEqualTo(Outcome.Kind.DEFERRED);
        assertThat(o.reply().oneLine()).isEqualTo("451 4.7.5 MTA-STS (MTA-STS id=stripped1 mode=enforce) requires TLS, "
                + "but mx.stripped.sts.test [127.0.0.5]:" + postfix.port() + " does not offer STARTTLS");
        assertThat(o.security().failure()).isEqualTo(TlsRptResult.STARTTLS_NOT_SUPPORTED);
        assertThat(noTls.commands).noneMatch(c -> c.startsWith("MAIL"));
    }

    @Test
    void enforceRefusesACertificateFromAnUntrustedCa() throws Exception {
        // The certificate names the MX host; only its issuer is unknown.
        Outcome o = deliver(secure, "untrusted.sts.test", "untrusted@posthorn.test");

        assertThat(o.kind()).as("%s", o).isEqualTo(Outcome.Kind.DEFERRED);
        String host = "mx.untrusted.sts.test [127.0.0.6]:" + postfix.port();
        assertThat(o.reply().oneLine()).startsWith("451 4.7.5 MTA-STS (MTA-STS id=untrusted1 mode=enforce): the "
                + "certificate of " + host + " is refused: certificate-not-trusted");
        assertThat(o.security().failure()).isEqualTo(TlsRptResult.CERTIFICATE_NOT_TRUSTED);
        // A server answered and was refused: queue show names it.
        assertThat(o.remoteHost()).isEqualTo(host);
        assertThat(untrusted.commands).noneMatch(c -> c.startsWith("MAIL"));
    }

    @Test
    void aTestingFallbackThatFailsLeavesNoConnectionOpen() throws Exception {
        // STARTTLS works but the EHLO after it gets 421; the plaintext retry's EHLO gets 421 too.
        Outcome o = deliver(secure, "leaky.sts.test", "leaky@posthorn.test");

        assertThat(o.kind()).as("%s", o).isEqualTo(Outcome.Kind.DEFERRED);
        assertThat(leaky.connections.get()).isEqualTo(2);
        Instant deadline = Instant.now().plusSeconds(15);
        while (leaky.active.get() > 0 && Instant.now().isBefore(deadline)) {
            Thread.sleep(50);
        }
        assertThat(leaky.active.get()).as("connections Posthorn left open").isZero();
    }

    @Test
    void aTestingHandshakeFailureIsReportedAsAValidationFailureNotAsMissingStarttls() throws Exception {
        Outcome o = deliver(secure, "dropped.sts.test", "dropped@posthorn.test");

        // RFC 7435: opportunistic, so the message goes in plaintext; the report says what failed.
        assertThat(o.kind()).as("%s", o).isEqualTo(Outcome.Kind.DELIVERED);
        assertThat(o.security().level()).isEqualTo(SecurityLevel.NONE);
        assertThat(o.security().failure()).isEqualTo(TlsRptResult.VALIDATION_FAILURE);
        assertThat(dropper.take(Duration.ofSeconds(10)).tls()).isFalse();
        assertThat(figures("dropped.sts.test").failures).singleElement()
                .satisfies(f -> assertThat(f.resultType).isEqualTo("validation-failure"));
    }

    @Test
    void eachAddressOfAHostIsJudgedAfresh() throws Exception {
        // mx.twoaddr.sts.test: first 127.0.0.6 (untrusted certificate), then 127.0.0.8 (hangs up in the handshake).
        Outcome o = deliver(secure, "twoaddr.sts.test", "twoaddr@posthorn.test");

        assertThat(o.kind()).as("%s", o).isEqualTo(Outcome.Kind.DEFERRED);
        assertThat(o.reply().oneLine()).startsWith("451 4.7.5 MTA-STS (MTA-STS id=twoaddr1 mode=enforce) requires TLS, "
                + "but the TLS handshake with mx.twoaddr.sts.test [127.0.0.8]:" + postfix.port() + " failed: ");
        assertThat(o.security().failure()).isEqualTo(TlsRptResult.VALIDATION_FAILURE);
        assertThat(figures("twoaddr.sts.test").failures).extracting(f -> f.resultType + " " + f.receivingIp)
                .containsExactlyInAnyOrder("certificate-not-trusted 127.0.0.6", "validation-failure 127.0.0.8");
    }

    @Test
    void aForgedPolicyIdWhoseFetchFailsLeavesTheCachedPolicyInForce() throws Exception {
        // Cached: policy id forged1, enforce, allowing only another MX. The TXT record now says id=forged2 (an
        // attacker's forgery, or a real change) and the policy server has nothing: the cached policy stays.
        Path data = Files.createDirectories(dir.resolve("forged"));
        new MtaStsCache(data.resolve("mta-sts")).put("forged.sts.test", MtaStsPolicy.parse(
                "version: STSv1\nmode: enforce\nmx: mx.elsewhere.sts.test\nmax_age: 86400\n", "forged1", Instant.now()));
        int asked = web.requests.size();
        try (SecureDelivery fresh = SecureDelivery.create(tls, dnsConfig, data, "client.posthorn.test", Clock.systemUTC(),
                (to, m) -> { })) {
            Outcome o = deliver(fresh, "forged.sts.test", "forged@posthorn.test");

            assertThat(web.requests.subList(asked, web.requests.size())).contains("mta-sts.forged.sts.test");
            assertThat(o.kind()).as("%s", o).isEqualTo(Outcome.Kind.DEFERRED);
            assertThat(o.reply().oneLine()).isEqualTo("451 4.7.5 MTA-STS (MTA-STS id=forged1 mode=enforce of "
                    + "forged.sts.test): MX host mx.forged.sts.test is not allowed by the policy's mx patterns "
                    + "(mx.elsewhere.sts.test)");
        }
        assertThat(postfix.log()).doesNotContain("from=<forged@posthorn.test>");
    }

    private static TlsRptCollector.PolicyFigures figures(String domain) {
        return secure.collector().day(LocalDate.now(ZoneOffset.UTC)).policies.stream()
                .filter(p -> p.domain.equals(domain)).findFirst().orElseThrow();
    }
}
