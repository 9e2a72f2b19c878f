package dev.posthorn.delivery.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.delivery.CatalogueExplainer;
import dev.posthorn.delivery.DnsConfig;
import dev.posthorn.delivery.OutboundTlsConfig;
import dev.posthorn.delivery.fixtures.PolicyWebServer;
import dev.posthorn.delivery.fixtures.PostfixServer;
import dev.posthorn.delivery.fixtures.UnboundServer;
import dev.posthorn.delivery.remote.Outcome;
import dev.posthorn.delivery.remote.SecureDelivery;
import dev.posthorn.tls.TestPki;
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

    static final List<String> DOMAINS = List.of("enforce", "wrongmx", "testing", "badcert", "down", "cached");

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
        List<String> data = new ArrayList<>();
        for (String d : DOMAINS) {
            String domain = d + ".sts.test.";
            String mx = switch (d) {
                case "wrongmx" -> "mx.elsewhere.sts.test.";
                case "testing", "badcert" -> "mx-badcert.sts.test.";
                default -> "mx." + domain;
            };
            data.add(domain + " MX 10 " + mx);
            data.add(mx + " A 127.0.0.1");
            data.add("_mta-sts." + domain + " TXT \"v=STSv1; id=" + d + "1\"");
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
        for (AutoCloseable c : new AutoCloseable[] {web, dns, postfix}) {
            if (c != null) {
                c.close();
            }
        }
    }

    private static Outcome deliver(SecureDelivery via, String domain, String sender) throws Exception {
        List<Outcome> outcomes = DanePeers.deliver(dir, via, postfix.port(), domain, sender);
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

    private static TlsRptCollector.PolicyFigures figures(String domain) {
        return secure.collector().day(LocalDate.now(ZoneOffset.UTC)).policies.stream()
                .filter(p -> p.domain.equals(domain)).findFirst().orElseThrow();
    }
}
