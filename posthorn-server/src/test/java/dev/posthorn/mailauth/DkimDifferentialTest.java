package dev.posthorn.mailauth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.mailauth.dkim.DkimAlgorithm;
import dev.posthorn.mailauth.dkim.DkimKeys;
import dev.posthorn.mailauth.dkim.DkimResult;
import dev.posthorn.mailauth.dkim.SigningKey;
import dev.posthorn.testing.ExternalTool;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DKIM against Debian's dkimpy on the corner cases of canonicalization (RFC 6376 §3.4): dkimpy signs them in
 * all four canonicalizations and Posthorn must verify every one; Posthorn signs them with both algorithms and
 * dkimpy must verify every one. Each also with one body octet changed, which both sides must fail, so a
 * verifier that passes everything fails this test as surely as one that passes nothing.
 */
class DkimDifferentialTest {

    static final String[] HEADERS = {
        "From: a@diff.test\r\nSubject: plain\r\n",
        "From: a@diff.test\r\nSubject:   lots    of   space   \r\n",
        "From: a@diff.test\r\nSubject: folded\r\n \r\n\tcontinued \r\n",
        "From: a@diff.test\r\nsUbJeCt:\t case\r\n",
        "From: a@diff.test\r\nSubject: one\r\nSubject: two\r\nDate: Tue, 1 Dec 2026 10:00:00 +0000\r\n",
    };
    static final String[] BODIES = {
        "", "\r\n", "\r\n\r\n\r\n", "a", "a\r\n\r\n \r\n\t\r\n", "a  \t b \r\n", " lead\r\n", "x\r\n \r\n",
        "bare\rcr\r\n", "\t\r\n\r\nx\r\n\r\n", "end-with-space \r\n",
    };
    // Left out where dkimpy reads RFC 6376 otherwise than we do: a name with WSP before the colon ("From :",
    // which its parser drops), a vertical tab or form feed at the end of a value (it strips them, §3.4.2 says
    // only WSP goes: DkimTest.relaxedHeaderCanonicalizationRemovesOnlyWsp), and trailing WSP on a last line
    // without CRLF in relaxed (it keeps the space before the CRLF it adds, §3.4.4 is ambiguous).
    static final List<String> CANONS = List.of("relaxed/relaxed", "simple/simple", "relaxed/simple", "simple/relaxed");

    static List<String> messages() {
        List<String> all = new ArrayList<>();
        for (String h : HEADERS) {
            for (String b : BODIES) {
                all.add(h + "\r\n" + b);
            }
        }
        return all;
    }

    /** The message with one body octet changed (an X before the body): no canonicalization hides that. */
    static String tampered(String message) {
        int body = message.indexOf("\r\n\r\n") + 4;
        return message.substring(0, body) + "X" + message.substring(body);
    }

    static String b64(String latin1) {
        return Base64.getEncoder().encodeToString(latin1.getBytes(StandardCharsets.ISO_8859_1));
    }

    static List<String> dkimpy(List<String> args, List<String> lines) throws Exception {
        List<String> command = new ArrayList<>(List.of("/usr/bin/python3",
                Path.of(DkimDifferentialTest.class.getResource("/mailauth/dkim_matrix.py").toURI()).toString()));
        command.addAll(args);
        ExternalTool.Result r = ExternalTool.run(command, String.join("\n", lines) + "\n", 120);
        assertThat(r.exitCode()).as(r.output()).isZero();
        List<String> out = r.output().lines().toList();
        assertThat(out).as(r.output()).hasSize(lines.size());
        return out;
    }

    @Test
    void whatDkimpySignsVerifiesHereAndFailsWhenChanged(@TempDir Path dir) throws Exception {
        DkimKeys.KeyInfo key = DkimKeys.under(dir).generate("diff.test", "s1", DkimAlgorithm.RSA_SHA256);
        StaticDns dns = new StaticDns().txt("s1._domainkey.diff.test", key.txtRecord());
        List<String> cases = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        for (String canon : CANONS) {
            for (String m : messages()) {
                cases.add(canon + " " + m.replace("\r\n", "|"));
                lines.add(canon + " " + b64(m));
            }
        }
        List<String> signed = dkimpy(List.of("sign", AuthZone.dkimpyKey(key, dir).toString(), "diff.test", "s1"), lines);
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < signed.size(); i++) {
            String message = new String(Base64.getDecoder().decode(signed.get(i)), StandardCharsets.ISO_8859_1);
            List<DkimResult> good = DkimTest.verify(message, dns, Clock.systemUTC());
            List<DkimResult> bad = DkimTest.verify(tampered(message), dns, Clock.systemUTC());
            if (good.size() != 1 || good.get(0).verdict() != DkimResult.Verdict.PASS) {
                failures.add("not verified: " + cases.get(i) + " " + (good.isEmpty() ? "" : good.get(0).reason()));
            }
            if (bad.size() != 1 || bad.get(0).verdict() != DkimResult.Verdict.FAIL) {
                failures.add("changed but not failed: " + cases.get(i));
            }
        }
        assertThat(failures).isEmpty();
    }

    @Test
    void whatWeSignDkimpyVerifiesWithBothAlgorithmsAndFailsWhenChanged(@TempDir Path dir) throws Exception {
        DkimKeys keys = DkimKeys.under(dir);
        for (DkimAlgorithm algorithm : DkimAlgorithm.values()) {
            String domain = algorithm.tag().startsWith("ed") ? "ed.diff.test" : "rsa.diff.test";
            DkimKeys.KeyInfo info = keys.generate(domain, "s1", algorithm);
            SigningKey key = keys.signingKeys(domain).get(0);
            List<String> lines = new ArrayList<>();
            for (String m : messages()) {
                String signed = DkimTest.signed(m, key, Instant.now());
                lines.add(b64(signed));
                lines.add(b64(tampered(signed)));
            }
            List<String> verdicts = dkimpy(List.of("verify", info.txtRecord()), lines);
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < messages().size(); i++) {
                expected.add("pass");
                expected.add("fail");
            }
            assertThat(verdicts).as(algorithm.tag()).isEqualTo(expected);
        }
    }
}
