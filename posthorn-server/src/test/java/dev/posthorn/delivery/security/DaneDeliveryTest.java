package dev.posthorn.delivery.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.delivery.CatalogueExplainer;
import dev.posthorn.delivery.DnsConfig;
import dev.posthorn.delivery.OutboundTlsConfig;
import dev.posthorn.delivery.fixtures.PostfixServer;
import dev.posthorn.delivery.fixtures.ScriptedSmtpPeer;
import dev.posthorn.delivery.fixtures.SignedZone;
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
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * DANE end to end (RFC 7672): a zone signed at test time with ldns-signzone, served by unbound as an authority
 * zone on loopback, validated by Posthorn itself from that zone's DS record; a real Postfix presents a certificate
 * from a test CA. Each MX name points at Postfix with different TLSA records.
 */
@Timeout(180)
class DaneDeliveryTest {

    @TempDir
    static Path dir;
    static TestPki.Issued ca;
    static TestPki.Issued leaf;
    static PostfixServer postfix;
    static ScriptedSmtpPeer noTls;
    static ScriptedSmtpPeer tlsPeer;
    static TestPki.Issued peerCert;
    static UnboundServer dns;
    static SecureDelivery secure;
    static Path anchor;

    static final String Z = "secure.test.";

    @BeforeAll
    static void start() throws Exception {
        ca = TestPki.issue(TestPki.ec(), null, true, "Posthorn Test CA");
        // "tanexthop.secure.test" is a recipient domain, not an MX host: DANE-TA accepts it (RFC 7672 §3.2.2).
        leaf = TestPki.issue(TestPki.ec(), ca, false, "mx-good.secure.test", "mx-bad.secure.test",
                "mx-notlsa.secure.test", "mx-bogus.secure.test", "mx-ta.secure.test", "tanexthop.secure.test");
        postfix = DanePeers.postfixWithCertificate(dir, "good.secure.test ta.secure.test notlsa.secure.test "
                + "taname.secure.test bad.secure.test bogus.secure.test tanexthop.secure.test unusable.secure.test",
                leaf, ca);
        // A peer that offers no STARTTLS, on another loopback address at the same port.
        noTls = ScriptedSmtpPeer.startOn(InetAddress.getByName("127.0.0.2"), postfix.port());
        // A peer with a self-signed certificate that records the server name each handshake asked for.
        peerCert = TestPki.issue(TestPki.ec(), null, false, "peer.test");
        tlsPeer = ScriptedSmtpPeer.startOn(InetAddress.getByName("127.0.0.3"), postfix.port());
        tlsPeer.enableTls(dir, peerCert.keys().getPrivate(), peerCert.cert());
        String good = DanePeers.spkiSha256(leaf);
        String caHash = DanePeers.certSha256(ca);
        String forged = "ff".repeat(32);
        SignedZone zone = SignedZone.sign(dir.resolve("zone"), Z, List.of(
                mx("good"), "mx-good.secure.test. IN A 127.0.0.1", tlsa("good", "3 1 1 " + good),
                mx("bad"), "mx-bad.secure.test. IN A 127.0.0.1", tlsa("bad", "3 1 1 " + "00".repeat(32)),
                mx("notlsa"), "mx-notlsa.secure.test. IN A 127.0.0.1",
                mx("bogus"), "mx-bogus.secure.test. IN A 127.0.0.1", tlsa("bogus", "3 1 1 " + good),
                mx("plain"), "mx-plain.secure.test. IN A 127.0.0.2", tlsa("plain", "3 1 1 " + good),
                mx("ta"), "mx-ta.secure.test. IN A 127.0.0.1", tlsa("ta", "2 0 1 " + caHash),
                mx("taname"), "mx-taname.secure.test. IN A 127.0.0.1", tlsa("taname", "2 0 1 " + caHash),
                mx("tanexthop"), "mx-tanexthop.secure.test. IN A 127.0.0.1", tlsa("tanexthop", "2 0 1 " + caHash),
                // PKIX-EE(1) is not for SMTP (RFC 7672 §3.1.3): TLSA records, none usable.
                mx("unusable"), "mx-unusable.secure.test. IN A 127.0.0.1", tlsa("unusable", "1 1 1 " + good),
                // MX hosts that are aliases: their TLSA records are at the CNAME's target (RFC 7672 §2.2.2).
                mx("alias"), "mx-alias.secure.test. IN CNAME mx-alias-target.secure.test.",
                "mx-alias-target.secure.test. IN A 127.0.0.2", tlsa("alias-target", "3 1 1 " + good),
                mx("cname"), "mx-cname.secure.test. IN CNAME mx-cname-target.secure.test.",
                "mx-cname-target.secure.test. IN A 127.0.0.3",
                tlsa("cname-target", "3 1 1 " + DanePeers.spkiSha256(peerCert))),
                // After signing, the bogus host's TLSA data changes: its RRSIG no longer verifies.
                signed -> signed.replaceAll("(?im)^(_25\\._tcp\\.mx-bogus\\.secure\\.test\\.\\s.*TLSA\\s+3 1 1 )" + good,
                        "$1" + forged));
        assertThat(Files.readString(zone.signedFile())).contains(forged);
        dns = UnboundServer.start(Files.createDirectories(dir.resolve("dns")), List.of(), List.of(),
                Map.of(Z, zone.signedFile()));
        OutboundTlsConfig tls = new OutboundTlsConfig();
        anchor = zone.anchor();
        tls.trustAnchorFile = zone.anchor().toString();
        DnsConfig dnsConfig = new DnsConfig();
        dnsConfig.servers = List.of(dns.address());
        secure = SecureDelivery.create(tls, dnsConfig, Files.createDirectories(dir.resolve("data")), "client.posthorn.test",
                Clock.systemUTC(), (to, m) -> { });
        // DNSSEC works through this resolver: a bogus answer below is an attack on one domain, not a broken resolver.
        assertThat(secure.dnssec().check()).isEqualTo(DnssecStatus.Verdict.AVAILABLE);
    }

    private static String mx(String label) {
        return label + ".secure.test. IN MX 10 mx-" + label + ".secure.test.";
    }

    private static String tlsa(String label, String data) {
        return "_25._tcp.mx-" + label + ".secure.test. IN TLSA " + data;
    }

    @AfterAll
    static void stop() throws Exception {
        if (secure != null) {
            secure.close();
        }
        if (dns != null) {
            dns.close();
        }
        if (noTls != null) {
            noTls.close();
        }
        if (tlsPeer != null) {
            tlsPeer.close();
        }
        if (postfix != null) {
            postfix.close();
        }
    }

    private static Outcome deliver(String domain, String sender) throws Exception {
        return deliver(domain, sender, TlsPolicy.OPPORTUNISTIC);
    }

    private static Outcome deliver(String domain, String sender, TlsPolicy routeTls) throws Exception {
        List<Outcome> outcomes = DanePeers.deliver(dir, secure, postfix.port(), domain, sender, routeTls);
        assertThat(outcomes).hasSize(1);
        return outcomes.get(0);
    }

    private static String explained(Outcome o) {
        return new CatalogueExplainer().explain(o.reply(), Locale.ENGLISH);
    }

    @Test
    void aMatchingDaneEeRecordDeliversAtLevelDane() throws Exception {
        Outcome o = deliver("good.secure.test", "good@posthorn.test");

        assertThat(o.kind()).as("%s\n%s", o, postfix.log()).isEqualTo(Outcome.Kind.DELIVERED);
        assertThat(o.security().level()).isEqualTo(SecurityLevel.DANE);
        assertThat(o.security().decidedBy()).startsWith("TLSA _25._tcp.mx-good.secure.test 3 1 1 ");
        assertThat(o.security().failure()).isNull();
        assertThat(postfix.awaitMessageContaining("marker good@posthorn.test", Duration.ofSeconds(30)))
                .contains("(using TLS");
    }

    @Test
    void aDaneTaRecordDeliversWhenTheChainAndTheNameCheckOut() throws Exception {
        Outcome o = deliver("ta.secure.test", "ta@posthorn.test");

        assertThat(o.kind()).as("%s\n%s", o, postfix.log()).isEqualTo(Outcome.Kind.DELIVERED);
        assertThat(o.security().level()).isEqualTo(SecurityLevel.DANE);
        assertThat(o.security().decidedBy()).startsWith("TLSA _25._tcp.mx-ta.secure.test 2 0 1 ");
        postfix.awaitMessageContaining("marker ta@posthorn.test", Duration.ofSeconds(30));
    }

    @Test
    void aDaneTaRecordStillChecksTheHostName() throws Exception {
        // The chain ends at the TLSA-named CA, but the certificate does not name mx-taname.secure.test.
        Outcome o = deliver("taname.secure.test", "taname@posthorn.test");

        assertThat(o.kind()).as("%s\n%s", o, postfix.log()).isEqualTo(Outcome.Kind.DEFERRED);
        assertThat(o.reply().code()).isEqualTo(451);
        assertThat(o.reply().enhanced()).isEqualTo("4.7.5");
        assertThat(o.security().failure()).isEqualTo(TlsRptResult.CERTIFICATE_HOST_MISMATCH);
        assertThat(o.reply().oneLine()).contains("DANE (TLSA _25._tcp.mx-taname.secure.test 2 0 1",
                "mx-taname.secure.test [127.0.0.1]", "certificate-host-mismatch");
        assertThat(postfix.log()).doesNotContain("from=<taname@posthorn.test>");
    }

    @Test
    void aDaneTaCertificateMayNameTheRecipientDomainInsteadOfTheMxHost() throws Exception {
        // RFC 7672 §3.2.2: the next-hop domain of a secure MX lookup is a reference identifier too.
        Outcome o = deliver("tanexthop.secure.test", "tanexthop@posthorn.test");

        assertThat(o.kind()).as("%s\n%s", o, postfix.log()).isEqualTo(Outcome.Kind.DELIVERED);
        assertThat(o.security().level()).isEqualTo(SecurityLevel.DANE);
        postfix.awaitMessageContaining("marker tanexthop@posthorn.test", Duration.ofSeconds(30));
    }

    @Test
    void anAliasMxHasItsTlsaRecordsLookedUpAtTheCnameTarget() throws Exception {
        // The resolver answers the alias's A query with the CNAME and the target's A record in one message; the
        // TLSA records exist only at the target, and the host offers no STARTTLS: DANE applies, so no plaintext.
        Outcome o = deliver("alias.secure.test", "alias@posthorn.test");

        assertThat(o.kind()).as("%s", o).isEqualTo(Outcome.Kind.DEFERRED);
        assertThat(o.reply().oneLine()).startsWith("451 4.7.5 DANE (TLSA _25._tcp.mx-alias-target.secure.test 3 1 1 ")
                .contains("mx-alias.secure.test [127.0.0.2]:" + postfix.port() + " does not offer STARTTLS");
        assertThat(o.security().level()).isEqualTo(SecurityLevel.DANE);
        assertThat(noTls.commands).noneMatch(c -> c.startsWith("MAIL"));
        assertThat(noTls.received).isEmpty();
    }

    @Test
    void anAliasMxIsAuthenticatedByItsTargetsTlsaAndAskedForByTheTargetsName() throws Exception {
        int before = tlsPeer.serverNames.size();
        Outcome o = deliver("cname.secure.test", "cname@posthorn.test");

        assertThat(o.kind()).as("%s", o).isEqualTo(Outcome.Kind.DELIVERED);
        assertThat(o.security().level()).isEqualTo(SecurityLevel.DANE);
        assertThat(o.security().decidedBy()).startsWith("TLSA _25._tcp.mx-cname-target.secure.test 3 1 1 ");
        // RFC 7672 §8.1: the server name indication is the TLSA base domain.
        assertThat(tlsPeer.serverNames.subList(before, tlsPeer.serverNames.size()))
                .containsExactly("mx-cname-target.secure.test");
        assertThat(tlsPeer.take(Duration.ofSeconds(10)).tls()).isTrue();
    }

    @Test
    void aTlsaMismatchDefersWith475AndSendsNothing() throws Exception {
        Outcome o = deliver("bad.secure.test", "bad@posthorn.test");

        assertThat(o.kind()).as("%s\n%s", o, postfix.log()).isEqualTo(Outcome.Kind.DEFERRED);
        assertThat(o.reply().oneLine()).startsWith("451 4.7.5 DANE (TLSA _25._tcp.mx-bad.secure.test 3 1 1 000000")
                .contains("the certificate of mx-bad.secure.test [127.0.0.1]", "tlsa-invalid",
                        "matches none of its TLSA records");
        assertThat(o.security().level()).isEqualTo(SecurityLevel.DANE);
        assertThat(o.security().failure()).isEqualTo(TlsRptResult.TLSA_INVALID);
        assertThat(explained(o)).startsWith("4.7.5 Cryptographic Failure").contains("update the TLSA records");
        // A server answered and was refused: the attempt names it.
        assertThat(o.remoteHost()).isEqualTo("mx-bad.secure.test [127.0.0.1]:" + postfix.port());
        // No fallback: Postfix never saw a MAIL FROM from this sender, over TLS or plaintext.
        assertThat(postfix.log()).doesNotContain("from=<bad@posthorn.test>");
    }

    @Test
    void tlsaRecordsNoneUsableStillRequireTlsWithoutCheckingTheCertificate() throws Exception {
        Outcome o = deliver("unusable.secure.test", "unusable@posthorn.test");

        assertThat(o.kind()).as("%s\n%s", o, postfix.log()).isEqualTo(Outcome.Kind.DELIVERED);
        assertThat(o.security().level()).isEqualTo(SecurityLevel.OPPORTUNISTIC);
        assertThat(o.security().decidedBy()).isEqualTo("TLSA _25._tcp.mx-unusable.secure.test: no usable record, "
                + "TLS required");
        postfix.awaitMessageContaining("marker unusable@posthorn.test", Duration.ofSeconds(30));
    }

    @Test
    void anOperatorsTlsVerifyStillChecksTheCertificateUnderTlsaRecordsNoneUsable() throws Exception {
        // queue.tls = "verify": the JDK's trust store does not know the test CA, so the certificate is refused,
        // though the TLSA records alone would take any certificate.
        Outcome o = deliver("unusable.secure.test", "unusable-verify@posthorn.test", TlsPolicy.VERIFY);

        assertThat(o.kind()).as("%s\n%s", o, postfix.log()).isEqualTo(Outcome.Kind.DEFERRED);
        assertThat(o.reply().oneLine()).startsWith("451 4.7.5 tls=verify requires a trusted certificate, but the one "
                + "of mx-unusable.secure.test [127.0.0.1]:" + postfix.port() + " is refused: certificate-not-trusted");
        assertThat(postfix.log()).doesNotContain("from=<unusable-verify@posthorn.test>");
    }

    @Test
    void anOperatorsTlsVerifyStillChecksTheCertificateOfADaneHost() throws Exception {
        Outcome o = deliver("good.secure.test", "good-verify@posthorn.test", TlsPolicy.VERIFY);

        assertThat(o.kind()).as("%s\n%s", o, postfix.log()).isEqualTo(Outcome.Kind.DEFERRED);
        assertThat(o.reply().oneLine()).startsWith("451 4.7.5 tls=verify requires a trusted certificate, but the one "
                + "of mx-good.secure.test [127.0.0.1]:" + postfix.port() + " is refused: certificate-not-trusted");
        assertThat(postfix.log()).doesNotContain("from=<good-verify@posthorn.test>");
    }

    @Test
    void noTlsaUnderASignedZoneIsOpportunisticTls() throws Exception {
        Outcome o = deliver("notlsa.secure.test", "notlsa@posthorn.test");

        assertThat(o.kind()).as("%s\n%s", o, postfix.log()).isEqualTo(Outcome.Kind.DELIVERED);
        assertThat(o.security().level()).isEqualTo(SecurityLevel.OPPORTUNISTIC);
        assertThat(o.security().decidedBy()).isEqualTo("no DANE or MTA-STS policy");
        postfix.awaitMessageContaining("marker notlsa@posthorn.test", Duration.ofSeconds(30));
    }

    @Test
    void aBogusTlsaAnswerDefersWithoutConnecting() throws Exception {
        int before = postfix.log().split("connect from").length;
        Outcome o = deliver("bogus.secure.test", "bogus@posthorn.test");

        assertThat(o.kind()).as("%s\n%s", o, postfix.log()).isEqualTo(Outcome.Kind.DEFERRED);
        assertThat(o.reply().oneLine()).startsWith("451 4.7.5 DANE: the TLSA lookup of _25._tcp.mx-bogus.secure.test failed")
                .contains("bogus", "mx-bogus.secure.test is not used until it answers");
        assertThat(o.security().failure()).isEqualTo(TlsRptResult.DNSSEC_INVALID);
        assertThat(o.remoteHost()).isNull();
        assertThat(explained(o)).contains("never taken as \"no TLSA\"");
        assertThat(postfix.log()).doesNotContain("from=<bogus@posthorn.test>");
        assertThat(postfix.log().split("connect from").length).isEqualTo(before);
    }

    @Test
    void aDaneHostWithoutStarttlsDefersAndGetsNoPlaintextMessage() throws Exception {
        Outcome o = deliver("plain.secure.test", "plain@posthorn.test");

        assertThat(o.kind()).as("%s\n%s", o, postfix.log()).isEqualTo(Outcome.Kind.DEFERRED);
        assertThat(o.reply().oneLine()).isEqualTo("451 4.7.5 DANE (TLSA _25._tcp.mx-plain.secure.test 3 1 1 "
                + DanePeers.spkiSha256(leaf).substring(0, 12) + "…) requires TLS, but mx-plain.secure.test "
                + "[127.0.0.2]:" + postfix.port() + " does not offer STARTTLS");
        assertThat(o.security().failure()).isEqualTo(TlsRptResult.STARTTLS_NOT_SUPPORTED);
        assertThat(noTls.connections.get()).isPositive();
        assertThat(noTls.commands).noneMatch(c -> c.startsWith("MAIL"));
        assertThat(noTls.received).isEmpty();
    }

    @Test
    void theFiguresOfTheDayCountDaneSessionsAndFailures() throws Exception {
        deliver("good.secure.test", "count@posthorn.test");
        deliver("bad.secure.test", "count2@posthorn.test");
        TlsRptCollector.Day day = secure.collector().day(LocalDate.now(ZoneOffset.UTC));

        TlsRptCollector.PolicyFigures good = day.policies.stream()
                .filter(p -> p.domain.equals("good.secure.test")).findFirst().orElseThrow();
        assertThat(good.type).isEqualTo("tlsa");
        assertThat(good.mxHost).isEqualTo("mx-good.secure.test");
        assertThat(good.successes).isGreaterThanOrEqualTo(1);
        TlsRptCollector.PolicyFigures bad = day.policies.stream()
                .filter(p -> p.domain.equals("bad.secure.test")).findFirst().orElseThrow();
        assertThat(bad.successes).isZero();
        assertThat(bad.failures).anySatisfy(f -> {
            assertThat(f.resultType).isEqualTo("tlsa-invalid");
            assertThat(f.receivingIp).isEqualTo("127.0.0.1");
        });
    }

    private static String[] probe(String mxName) {
        java.io.StringWriter out = new java.io.StringWriter();
        picocli.CommandLine cli = dev.posthorn.cli.Main.commandLine();
        cli.setOut(new java.io.PrintWriter(out, true));
        cli.setErr(new java.io.PrintWriter(out, true));
        int code = cli.execute("probe", "127.0.0.1:" + postfix.port(), "--dane", "--mx-name", mxName, "--dns",
                dns.address(), "--trust-anchor", anchor.toString(), "--timeout", "10");
        return new String[] {String.valueOf(code), out.toString()};
    }

    @Test
    void probeDaneSaysTheHostMeetsItsTlsaRecords() {
        String[] run = probe("mx-good.secure.test");

        assertThat(run[1]).contains("· TLS security: dane (TLSA _25._tcp.mx-good.secure.test 3 1 1 ")
                .contains("): met");
        assertThat(run[0]).as(run[1]).isEqualTo("0");
    }

    @Test
    void probeDaneFailsAHostWhoseCertificateMatchesNoTlsaRecord() {
        String[] run = probe("mx-bad.secure.test");

        assertThat(run[0]).as(run[1]).isEqualTo("1");
        assertThat(run[1]).contains("! TLS security: TLSA _25._tcp.mx-bad.secure.test 3 1 1 000000000000… not met: "
                + "tlsa-invalid", "Diagnosis: The server's TLS does not meet the receiving domain's policy");
    }
}
