package dev.posthorn.mailauth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.mailauth.dkim.BodyHashSpec;
import dev.posthorn.mailauth.dkim.DkimAlgorithm;
import dev.posthorn.mailauth.dkim.DkimKeys;
import dev.posthorn.mailauth.dkim.DkimResult;
import dev.posthorn.mailauth.dkim.DkimSigner;
import dev.posthorn.mailauth.dkim.DkimVerifier;
import dev.posthorn.mailauth.dkim.KeyRecord;
import dev.posthorn.mailauth.dkim.SigningKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DKIM signing and verification (RFC 6376, RFC 8463) against the RFCs' own example and our own signatures. */
class DkimTest {

    /** RFC 8463 Appendix A.3: the Ed25519 signature of RFC 6376's example message, made with RFC 8032's key. */
    static final String RFC8463_SIGNED = String.join("\r\n",
            "DKIM-Signature: v=1; a=ed25519-sha256; c=simple/simple; ",
            " d=football.example.com; i=@football.example.com; ",
            " q=dns/txt; s=brisbane; t=1518460054; h=from : to : ",
            " subject : date : message-id : from : subject : date; ",
            " bh=4bLNXImK9drULnmePzZNEBleUanJCX5PIsDIFoH4KTQ=; ",
            " b=9/dsDChY0YMTtD5Eyw3wx7x22BlSJP7M5ECbJ7GWrR45nXlTCGb8l0YB",
            " o0wBLR++X5LqmsxXaOYLLJe46l10AQ==",
            "From: Joe SixPack <joe@football.example.com>",
            "To: Suzie Q <suzie@shopping.example.net>",
            "Subject: Is dinner ready?",
            "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)",
            "Message-ID: <20030712040037.46341.5F8J@football.example.com>",
            "",
            "Hi.",
            "",
            "We lost the game.  Are you hungry yet?",
            "",
            "Joe.",
            "");
    /** RFC 8463 Appendix A.2: the public key of RFC 8032 §7.1's test 1. */
    static final String RFC8463_KEY = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

    private static final Clock AFTER_VECTOR = Clock.fixed(Instant.parse("2018-02-13T00:00:00Z"), ZoneOffset.UTC);

    static List<DkimResult> verify(String message, AuthDns dns, Clock clock) throws Exception {
        MessageTap tap = new MessageTap(null, f -> false, DkimVerifier::bodyHashesNeeded);
        tap.write(message.getBytes(StandardCharsets.ISO_8859_1));
        tap.finish();
        return new DkimVerifier(clock).verify(tap.header(), tap.bodyHashes(), dns);
    }

    @Test
    void rfc8463ExampleVerifies() throws Exception {
        List<DkimResult> results = verify(RFC8463_SIGNED,
                new StaticDns().txt("brisbane._domainkey.football.example.com", RFC8463_KEY), AFTER_VECTOR);
        assertThat(results).hasSize(1);
        assertThat(results.get(0).verdict()).isEqualTo(DkimResult.Verdict.PASS);
        assertThat(results.get(0).algorithm()).isEqualTo("ed25519-sha256");
        assertThat(results.get(0).signaturePrefix()).isEqualTo("9/dsDChY");
    }

    @Test
    void rfc8463ExampleWithAlteredSubjectFails() throws Exception {
        List<DkimResult> results = verify(RFC8463_SIGNED.replace("Is dinner ready?", "Is dinner ready!"),
                new StaticDns().txt("brisbane._domainkey.football.example.com", RFC8463_KEY), AFTER_VECTOR);
        assertThat(results.get(0).verdict()).isEqualTo(DkimResult.Verdict.FAIL);
        assertThat(results.get(0).reason()).isEqualTo("signature did not verify");
    }

    @Test
    void rfc8463ExampleWithAlteredBodyFailsOnTheBodyHash() throws Exception {
        List<DkimResult> results = verify(RFC8463_SIGNED.replace("hungry", "thirsty"),
                new StaticDns().txt("brisbane._domainkey.football.example.com", RFC8463_KEY), AFTER_VECTOR);
        assertThat(results.get(0).verdict()).isEqualTo(DkimResult.Verdict.FAIL);
        assertThat(results.get(0).reason()).isEqualTo("body hash did not verify");
    }

    /**
     * Ten DKIM-Signatures and fifty ARC-Message-Signatures, each with its own l=, ask for sixty passes over the
     * body: only the five DKIM signatures verified and the newest ARC one cost a body hash.
     */
    @Test
    void signaturesPastTheLimitCostNoBodyHash() {
        StringBuilder h = new StringBuilder();
        for (int i = 0; i < 60; i++) {
            boolean dkim = i < 10;
            h.append(dkim ? "DKIM-Signature: v=1; i=@a.com" : "ARC-Message-Signature: i=" + (i - 9))
                    .append("; a=rsa-sha256; c=relaxed/").append(i % 2 == 0 ? "relaxed" : "simple")
                    .append("; d=a.com; s=s; h=from; l=").append(1000 + i).append("; bh=AA==; b=AA==\r\n");
        }
        h.append("From: a@a.com\r\n\r\n");
        java.util.Set<BodyHashSpec> specs = DkimVerifier.bodyHashesNeeded(
                dev.posthorn.mailauth.MessageHeader.parse(h.toString().getBytes(StandardCharsets.US_ASCII)));
        assertThat(specs).containsExactlyInAnyOrder(new BodyHashSpec(true, 1000), new BodyHashSpec(false, 1001),
                new BodyHashSpec(true, 1002), new BodyHashSpec(false, 1003), new BodyHashSpec(true, 1004),
                new BodyHashSpec(false, 1059)); // the newest ARC set, i=50
    }

    /** RFC 6376 §3.4.5's example, canonicalized both ways, header and body: exact octets, not round trips. */
    @Test
    void rfc6376CanonicalizationExample() throws Exception {
        assertThat(dev.posthorn.mailauth.dkim.HeaderCanon.canonicalize("A: X", true)).isEqualTo("a:X");
        assertThat(dev.posthorn.mailauth.dkim.HeaderCanon.canonicalize("B : Y\t\r\n\tZ  ", true)).isEqualTo("b:Y Z");
        assertThat(dev.posthorn.mailauth.dkim.HeaderCanon.canonicalize("B : Y\t\r\n\tZ  ", false))
                .isEqualTo("B : Y\t\r\n\tZ  ");
        byte[] body = " C \r\nD \t E\r\n\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        assertBodyHash(body, true, -1, " C\r\nD E\r\n");
        assertBodyHash(body, false, -1, " C \r\nD \t E\r\n");
        assertBodyHash(body, true, 5, " C\r\nD"); // l= counts canonical octets (§3.5)
        assertBodyHash(new byte[0], false, -1, "\r\n"); // §3.4.3: an empty body is one CRLF in simple
        assertBodyHash(new byte[0], true, -1, ""); // §3.4.4: and nothing in relaxed
        assertBodyHash("a \r\n\t\r\n".getBytes(StandardCharsets.US_ASCII), true, -1, "a\r\n");
        assertBodyHash("no line end".getBytes(StandardCharsets.US_ASCII), false, -1, "no line end\r\n");
    }

    /** RFC 6376 §3.4.2: relaxed removes WSP (SP, HTAB) only; a form feed or a separator control stays. */
    @Test
    void relaxedHeaderCanonicalizationRemovesOnlyWsp() {
        assertThat(dev.posthorn.mailauth.dkim.HeaderCanon.canonicalize("Subject: hi\u000c", true))
                .isEqualTo("subject:hi\u000c");
        assertThat(dev.posthorn.mailauth.dkim.HeaderCanon.canonicalize("Subject:\u000b x \t", true))
                .isEqualTo("subject:\u000b x");
        assertThat(dev.posthorn.mailauth.dkim.HeaderCanon.canonicalize("\u001cFrom: a@b", true))
                .isEqualTo("\u001cfrom:a@b");
    }

    static void assertBodyHash(byte[] body, boolean relaxed, long limit, String canonical) throws Exception {
        BodyHashSpec spec = new BodyHashSpec(relaxed, limit);
        var hash = dev.posthorn.mailauth.dkim.BodyHashes.of(body, 0, java.util.Set.of(spec)).get(spec);
        assertThat(java.util.HexFormat.of().formatHex(hash.sha256())).as(canonical).isEqualTo(
                java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                        .digest(canonical.getBytes(StandardCharsets.US_ASCII))));
    }

    @Test
    void keyLookupFailureIsATemporaryErrorNeverAPassOrFail() throws Exception {
        List<DkimResult> results = verify(RFC8463_SIGNED,
                new StaticDns().fail("brisbane._domainkey.football.example.com"), AFTER_VECTOR);
        assertThat(results.get(0).verdict()).isEqualTo(DkimResult.Verdict.TEMPERROR);
    }

    @Test
    void missingKeyIsAPermanentError() throws Exception {
        List<DkimResult> results = verify(RFC8463_SIGNED, new StaticDns(), AFTER_VECTOR);
        assertThat(results.get(0).verdict()).isEqualTo(DkimResult.Verdict.PERMERROR);
        assertThat(results.get(0).reason()).isEqualTo("no key for selector brisbane");
    }

    static final String MESSAGE = String.join("\r\n",
            "From: Alice <alice@example.org>",
            "To: bob@example.net",
            "Subject:   hello   world  ",
            "Date: Tue, 1 Dec 2026 10:00:00 +0000",
            "Message-ID: <1@example.org>",
            "",
            "Hi Bob,  ",
            "",
            "it works.",
            "",
            "",
            "");

    static SigningKey key(String domain, String selector, DkimAlgorithm algorithm, int rsaBits) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm == DkimAlgorithm.RSA_SHA256 ? "RSA" : "Ed25519");
        if (algorithm == DkimAlgorithm.RSA_SHA256) {
            g.initialize(rsaBits);
        }
        KeyPair pair = g.generateKeyPair();
        return new SigningKey(domain, selector, algorithm, pair.getPrivate(), pair.getPublic());
    }

    static String signed(String message, SigningKey key, Instant now) throws Exception {
        MessageTap tap = MessageTap.collectOnly();
        tap.write(message.getBytes(StandardCharsets.ISO_8859_1));
        tap.finish();
        return DkimSigner.sign(tap.header(), tap.bodyHashes().get(BodyHashSpec.RELAXED), key, now) + message;
    }

    static StaticDns publish(SigningKey key) {
        return new StaticDns().txt(key.selector() + "._domainkey." + key.domain(),
                "v=DKIM1; k=" + key.algorithm().keyType() + "; p=" + KeyRecord.publicKeyValue(key.publicKey()));
    }

    @Test
    void ourSignaturesVerifyWithBothAlgorithmsAndSurviveRefolding() throws Exception {
        for (DkimAlgorithm algorithm : DkimAlgorithm.values()) {
            SigningKey key = key("example.org", "s1", algorithm, 2048);
            String signed = signed(MESSAGE, key, Instant.now());
            assertThat(verify(signed, publish(key), Clock.systemUTC()).get(0).verdict())
                    .as(algorithm.tag()).isEqualTo(DkimResult.Verdict.PASS);
            // relaxed/relaxed: whitespace changes in transit do not matter
            String refolded = signed.replace("Subject:   hello   world  ", "Subject: hello\r\n\tworld")
                    .replace("it works.", "it  works. ");
            assertThat(verify(refolded, publish(key), Clock.systemUTC()).get(0).verdict())
                    .as(algorithm.tag()).isEqualTo(DkimResult.Verdict.PASS);
        }
    }

    @Test
    void aFromAddedAboveASignedMessageBreaksTheOversignedSignature() throws Exception {
        SigningKey key = key("example.org", "s1", DkimAlgorithm.ED25519_SHA256, 0);
        String signed = signed(MESSAGE, key, Instant.now());
        String forged = "From: ceo@example.org\r\n" + signed;
        assertThat(verify(forged, publish(key), Clock.systemUTC()).get(0).verdict())
                .isEqualTo(DkimResult.Verdict.FAIL);
    }

    @Test
    void rsaKeysShorterThan1024BitsAreRefused() throws Exception {
        SigningKey weak = key("example.org", "weak", DkimAlgorithm.RSA_SHA256, 512);
        List<DkimResult> results = verify(signed(MESSAGE, weak, Instant.now()), publish(weak), Clock.systemUTC());
        assertThat(results.get(0).verdict()).isEqualTo(DkimResult.Verdict.PERMERROR);
        assertThat(results.get(0).reason()).isEqualTo("RSA key of 512 bits (at least 1024 required)");
    }

    @Test
    void expiredSignaturesFail() throws Exception {
        SigningKey key = key("example.org", "s1", DkimAlgorithm.ED25519_SHA256, 0);
        MessageTap tap = MessageTap.collectOnly();
        tap.write(MESSAGE.getBytes(StandardCharsets.ISO_8859_1));
        tap.finish();
        String bh = java.util.Base64.getEncoder().encodeToString(tap.bodyHashes().get(BodyHashSpec.RELAXED).sha256());
        String tags = "v=1; a=ed25519-sha256; c=relaxed/relaxed; d=example.org; s=s1; t=900; x=1000; h=from:to; bh="
                + bh + "; b=";
        String field = DkimSigner.signField("DKIM-Signature", tags, List.of("from", "to"), tap.header(), key);
        assertThat(verify(field + MESSAGE, publish(key), Clock.fixed(Instant.ofEpochSecond(999), ZoneOffset.UTC))
                .get(0).verdict()).isEqualTo(DkimResult.Verdict.PASS);
        List<DkimResult> results = verify(field + MESSAGE, publish(key), Clock.systemUTC());
        assertThat(results.get(0).verdict()).isEqualTo(DkimResult.Verdict.FAIL);
        assertThat(results.get(0).reason()).isEqualTo("signature expired");
    }

    @Test
    void identityOutsideTheSigningDomainIsAPermanentError() throws Exception {
        String signed = RFC8463_SIGNED.replace("i=@football.example.com", "i=@evil.example");
        List<DkimResult> results = verify(signed,
                new StaticDns().txt("brisbane._domainkey.football.example.com", RFC8463_KEY), AFTER_VECTOR);
        assertThat(results.get(0).verdict()).isEqualTo(DkimResult.Verdict.PERMERROR);
        assertThat(results.get(0).reason()).isEqualTo("i= is not in d= or a subdomain of it");
    }

    @Test
    void keysGeneratedOnDiskSignAndListWithTheirRecord(@TempDir Path data) throws Exception {
        DkimKeys keys = DkimKeys.under(data);
        DkimKeys.KeyInfo rsa = keys.generate("Example.org", "r1", DkimAlgorithm.RSA_SHA256);
        DkimKeys.KeyInfo ed = keys.generate("example.org", "e1", DkimAlgorithm.ED25519_SHA256);
        assertThat(rsa.active()).isTrue();
        assertThat(ed.txtRecord()).startsWith("v=DKIM1; k=ed25519; p=").hasSize("v=DKIM1; k=ed25519; p=".length() + 44);
        assertThat(java.nio.file.Files.getPosixFilePermissions(rsa.file()))
                .containsExactlyInAnyOrder(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                        java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        List<SigningKey> signing = keys.signingKeys("mail.example.org");
        assertThat(signing).extracting(SigningKey::selector).containsExactly("e1", "r1");
        for (SigningKey k : signing) {
            StaticDns dns = new StaticDns().txt(k.selector() + "._domainkey.example.org",
                    k.selector().equals("r1") ? rsa.txtRecord() : ed.txtRecord());
            assertThat(verify(signed(MESSAGE, k, Instant.now()), dns, Clock.systemUTC()).get(0).verdict())
                    .isEqualTo(DkimResult.Verdict.PASS);
        }
        // Rotation: a new selector, activated, signs from the next message on, without a restart.
        keys.generate("example.org", "r2", DkimAlgorithm.RSA_SHA256);
        assertThat(keys.signingKeys("example.org")).extracting(SigningKey::selector).containsExactly("e1", "r1");
        keys.activate("example.org", "r2");
        assertThat(keys.signingKeys("example.org")).extracting(SigningKey::selector).containsExactly("e1", "r2");
    }
}
