package dev.posthorn.mailauth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.mailauth.dkim.BodyHashSpec;
import dev.posthorn.mailauth.dkim.DkimAlgorithm;
import dev.posthorn.mailauth.dkim.DkimResult;
import dev.posthorn.mailauth.dkim.DkimSigner;
import dev.posthorn.mailauth.dkim.DkimVerifier;
import dev.posthorn.mailauth.dkim.SigningKey;
import dev.posthorn.mailauth.dmarc.DmarcEvaluator;
import dev.posthorn.mailauth.dmarc.DmarcResult;
import dev.posthorn.mailauth.dmarc.PublicSuffixList;
import dev.posthorn.mailauth.spf.SpfResult;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/** DMARC's decisions (RFC 7489) on the inputs that attackers shape: the From field, l=, the header's size. */
class DmarcTest {

    static final PublicSuffixList PSL = PublicSuffixList.parse(List.of("// test list", "com", "uk", "co.uk", "*.ck",
            "!www.ck"));
    static final DmarcEvaluator DMARC = new DmarcEvaluator(PSL, RandomGenerator.of("L64X128MixRandom"));
    static final StaticDns DNS = new StaticDns().txt("_dmarc.bank.co.uk", "v=DMARC1; p=reject");

    static MessageHeader header(String text) {
        return MessageHeader.parse((text + "\r\nbody\r\n").getBytes(StandardCharsets.UTF_8));
    }

    static SpfResult spfFail(String domain) {
        return new SpfResult(SpfResult.Verdict.FAIL, "x@" + domain, domain, null);
    }

    @Test
    void organizationalDomainsFollowThePublicSuffixList() {
        assertThat(PSL.organizationalDomain("mail.bank.co.uk")).isEqualTo("bank.co.uk");
        assertThat(PSL.organizationalDomain("a.b.example.com")).isEqualTo("example.com");
        assertThat(PSL.organizationalDomain("x.y.ck")).isEqualTo("x.y.ck"); // *.ck makes y.ck a suffix
        assertThat(PSL.organizationalDomain("a.www.ck")).isEqualTo("www.ck"); // !www.ck: www.ck is not
        assertThat(PublicSuffixList.fallback().organizationalDomain("mail.bank.co.uk")).isEqualTo("co.uk");
    }

    /**
     * Without the Public Suffix List the guessed organizational domain of bank.co.uk and attacker.co.uk is the
     * same "co.uk": a signature by the attacker's own domain must not pass for the bank's.
     */
    @Test
    void withoutTheListASiblingRegistrationIsNotAligned() {
        DmarcEvaluator guessing = new DmarcEvaluator(PublicSuffixList.fallback(), RandomGenerator.of("L64X128MixRandom"));
        DkimResult attacker = new DkimResult(DkimResult.Verdict.PASS, "attacker.co.uk", "s1", "@attacker.co.uk",
                "rsa-sha256", "AAAA", null);
        DmarcResult r = guessing.evaluate(header("From: ceo@bank.co.uk"), spfFail("attacker.co.uk"),
                List.of(attacker), DNS);
        assertThat(r.verdict()).isEqualTo(DmarcResult.Verdict.FAIL);
        assertThat(r.applied()).isEqualTo(dev.posthorn.mailauth.dmarc.DmarcRecord.Policy.REJECT);
        // The author's own domain still aligns, and the list, when read, still aligns a subdomain relaxed.
        DkimResult bank = new DkimResult(DkimResult.Verdict.PASS, "bank.co.uk", "s1", "@bank.co.uk",
                "rsa-sha256", "AAAA", null);
        assertThat(guessing.evaluate(header("From: ceo@bank.co.uk"), spfFail("attacker.co.uk"), List.of(bank), DNS)
                .verdict()).isEqualTo(DmarcResult.Verdict.PASS);
        DkimResult mail = new DkimResult(DkimResult.Verdict.PASS, "mail.bank.co.uk", "s1", "@mail.bank.co.uk",
                "rsa-sha256", "AAAA", null);
        assertThat(DMARC.evaluate(header("From: ceo@bank.co.uk"), spfFail("attacker.co.uk"), List.of(mail), DNS)
                .verdict()).isEqualTo(DmarcResult.Verdict.PASS);
    }

    @Test
    void debiansListIsReadWhenInstalled() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.exists(PublicSuffixList.DEBIAN),
                "publicsuffix is installed by .ci/run");
        PublicSuffixList debian = PublicSuffixList.load(PublicSuffixList.DEBIAN);
        assertThat(debian.organizationalDomain("mail.bank.co.uk")).isEqualTo("bank.co.uk");
        assertThat(debian.organizationalDomain("www.city.kawasaki.jp")).isEqualTo("city.kawasaki.jp");
    }

    @Test
    void aSubdomainWithoutItsOwnRecordGetsTheOrganizationalDomainsPolicy() {
        DmarcResult r = DMARC.evaluate(header("From: a@mail.bank.co.uk"), spfFail("mail.bank.co.uk"), List.of(), DNS);
        assertThat(r.verdict()).isEqualTo(DmarcResult.Verdict.FAIL);
        assertThat(r.subdomainPolicy()).isTrue();
        assertThat(r.applied()).hasToString("REJECT");
    }

    @Test
    void aTrailingDotOrUnicodeCannotHideTheAuthorDomain() {
        assertThat(DMARC.evaluate(header("From: a@bank.co.uk."), spfFail("evil.com"), List.of(), DNS).verdict())
                .isEqualTo(DmarcResult.Verdict.FAIL);
        assertThat(DMARC.evaluate(header("From: a@BANK.CO.UK"), spfFail("evil.com"), List.of(), DNS).fromDomain())
                .isEqualTo("bank.co.uk");
    }

    @Test
    void aDisplayNameWithAnAddressInItIsNotTheAuthor() {
        DmarcResult r = DMARC.evaluate(header("From: \"ceo@bank.co.uk\" (really@bank.co.uk) <x@evil.com>"),
                spfFail("evil.com"), List.of(), DNS);
        assertThat(r.fromDomain()).isEqualTo("evil.com");
    }

    @Test
    void twoFromFieldsOrTwoAddressesCannotBeJudged() {
        DmarcResult two = DMARC.evaluate(header("From: a@evil.com\r\nFrom: b@bank.co.uk"), null, List.of(), DNS);
        assertThat(two.verdict()).isEqualTo(DmarcResult.Verdict.PERMERROR);
        assertThat(two.reason()).isEqualTo("more than one From field");
        DmarcResult list = DMARC.evaluate(header("From: a@evil.com, b@bank.co.uk"), null, List.of(), DNS);
        assertThat(list.reason()).isEqualTo("From must hold exactly one address");
        assertThat(list.fromDomain()).isNull();
    }

    /** A later angle-addr must not overwrite an earlier one: a reader shows bank.co.uk, DMARC must not judge evil.com. */
    @Test
    void twoAngleAddressesWithoutACommaCannotBeJudged() {
        DkimResult evilPass = new DkimResult(DkimResult.Verdict.PASS, "evil.com", "s1", "@evil.com", "rsa-sha256",
                "AAAA", null);
        DmarcResult r = DMARC.evaluate(header("From: <ceo@bank.co.uk> <x@evil.com>"), spfFail("evil.com"),
                List.of(evilPass), DNS);
        assertThat(r.verdict()).isEqualTo(DmarcResult.Verdict.PERMERROR);
        assertThat(r.reason()).isEqualTo("From is not an RFC 5322 mailbox list");
        assertThat(r.fromDomain()).isNull();
        assertThat(DMARC.evaluate(header("From: <x@evil.com> ceo@bank.co.uk"), spfFail("evil.com"),
                List.of(evilPass), DNS).verdict()).isEqualTo(DmarcResult.Verdict.PERMERROR);
    }

    @Test
    void aHeaderTooLargeToKeepCannotBeJudged() {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 1100; i++) {
            text.append("X-Filler-").append(i).append(": y\r\n");
        }
        text.append("From: a@bank.co.uk");
        DmarcResult r = DMARC.evaluate(header(text.toString()), null, List.of(), DNS);
        assertThat(r.verdict()).isEqualTo(DmarcResult.Verdict.PERMERROR);
        assertThat(r.reason()).isEqualTo("the header section is too large to check");
    }

    @Test
    void aSignatureCoveringPartOfTheBodyIsNotAPassAndCannotCarryDmarc() throws Exception {
        SigningKey key = DkimTest.key("bank.co.uk", "s1", DkimAlgorithm.ED25519_SHA256, 0);
        String original = "From: a@bank.co.uk\r\nSubject: pay\r\n\r\nPay 10.\r\n";
        MessageTap tap = MessageTap.collectOnly();
        tap.write(original.getBytes(StandardCharsets.ISO_8859_1));
        tap.finish();
        var limited = new dev.posthorn.mailauth.dkim.BodyCanonicalizer(true, 9);
        limited.update("Pay 10.\r\n".getBytes(StandardCharsets.ISO_8859_1), 0, 9);
        String bh = Base64.getEncoder().encodeToString(limited.finish().sha256());
        String field = DkimSigner.signField("DKIM-Signature", "v=1; a=ed25519-sha256; c=relaxed/relaxed;"
                + " d=bank.co.uk; s=s1; l=9; h=from:subject; bh=" + bh + "; b=", List.of("from", "subject"),
                tap.header(), key);
        StaticDns dns = DkimTest.publish(key).txt("_dmarc.bank.co.uk", "v=DMARC1; p=reject");
        String appended = field + original + "Also pay 1000 to the attacker.\r\n";
        List<DkimResult> dkim = DkimTest.verify(appended, dns, Clock.systemUTC());
        assertThat(dkim.get(0).verdict()).isEqualTo(DkimResult.Verdict.POLICY);
        assertThat(dkim.get(0).reason()).isEqualTo("l= covers only part of the body");
        assertThat(DMARC.evaluate(MessageHeader.parse(appended.getBytes(StandardCharsets.ISO_8859_1)),
                spfFail("evil.com"), dkim, dns).verdict()).isEqualTo(DmarcResult.Verdict.FAIL);
        // Without the appended part the same signature passes.
        assertThat(DkimTest.verify(field + original, dns, Clock.systemUTC()).get(0).verdict())
                .isEqualTo(DkimResult.Verdict.PASS);
    }

    @Test
    void aTemporaryDkimFailureOnAnAlignedSignatureIsTemperrorNotFail() {
        DkimResult temp = new DkimResult(DkimResult.Verdict.TEMPERROR, "bank.co.uk", "s1", null, "rsa-sha256", "x", "t");
        assertThat(DMARC.evaluate(header("From: a@bank.co.uk"), spfFail("evil.com"), List.of(temp), DNS).verdict())
                .isEqualTo(DmarcResult.Verdict.TEMPERROR);
        assertThat(DMARC.evaluate(header("From: a@bank.co.uk"), spfFail("evil.com"), List.of(temp),
                new StaticDns().fail("_dmarc.bank.co.uk")).verdict()).isEqualTo(DmarcResult.Verdict.TEMPERROR);
    }

    @Test
    void authenticationResultsValuesCannotBreakOutOfTheField() {
        assertThat(AuthResults.value("alice@example.com")).isEqualTo("alice@example.com");
        assertThat(AuthResults.value("a;b\r\nAuthentication-Results: x; dkim=pass"))
                .isEqualTo("\"a;bAuthentication-Results: x; dkim=pass\"");
        assertThat(AuthResults.value("q\"uo\\te")).isEqualTo("\"q\\\"uo\\\\te\"");
        assertThat(new AuthResults().add("dkim", "fail", "p=(x)", "r").field("mx.test"))
                .isEqualTo("Authentication-Results: mx.test;\r\n\tdkim=fail (p=x) reason=r\r\n");
        assertThat(AuthResults.claims(HeaderField.of("Authentication-Results: (c) MX.Test 1; none"), "mx.test")).isTrue();
        assertThat(AuthResults.claims(HeaderField.of("Authentication-Results: mx.test.evil; none"), "mx.test")).isFalse();
    }

    @Test
    void bodyHashesAreTakenOnceForEachSpec() {
        assertThat(DkimVerifier.bodyHashesNeeded(header("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/simple; d=a.com;"
                + " s=s; h=from; bh=AA==; b=AA==\r\nFrom: a@a.com"))).containsExactly(new BodyHashSpec(false, -1));
    }
}
