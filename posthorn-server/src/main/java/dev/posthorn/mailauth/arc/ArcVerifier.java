package dev.posthorn.mailauth.arc;

import dev.posthorn.mailauth.AuthDns;
import dev.posthorn.mailauth.HeaderField;
import dev.posthorn.mailauth.MessageHeader;
import dev.posthorn.mailauth.dkim.BodyHashes;
import dev.posthorn.mailauth.dkim.DkimAlgorithm;
import dev.posthorn.mailauth.dkim.DkimResult;
import dev.posthorn.mailauth.dkim.HeaderCanon;
import dev.posthorn.mailauth.dkim.KeyRecord;
import dev.posthorn.mailauth.dkim.ParsedSignature;
import dev.posthorn.mailauth.dkim.SignatureCheck;
import dev.posthorn.mailauth.dkim.SignatureFailure;
import dev.posthorn.mailauth.dkim.Tags;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.Locale;

/**
 * Validates an ARC chain (RFC 8617 §5.2): the sets form a chain (1..N, one field of each kind, N at most 50),
 * no seal says cv=fail, the first says cv=none and the others cv=pass, the newest ARC-Message-Signature
 * verifies against the message, and every ARC-Seal verifies over the sets up to its own.
 */
public final class ArcVerifier {

    private ArcVerifier() {
    }

    public static ArcResult verify(MessageHeader header, BodyHashes bodies, AuthDns dns) {
        ArcSets sets = ArcSets.of(header);
        if (sets.isEmpty()) {
            return new ArcResult(ArcResult.Verdict.NONE, 0, null, null);
        }
        String problem = sets.structureProblem();
        int n = sets.highest();
        if (problem != null) {
            return fail(n, null, problem);
        }
        String sealer = null;
        try {
            for (int i = n; i >= 1; i--) {
                Tags seal = sealTags(sets.seal(i));
                if (i == n) {
                    sealer = seal.get("d").toLowerCase(Locale.ROOT);
                }
                String cv = seal.get("cv", "").toLowerCase(Locale.ROOT);
                if (cv.equals("fail")) {
                    return fail(n, sealer, "ARC-Seal " + i + " says cv=fail");
                }
                if (!cv.equals(i == 1 ? "none" : "pass")) {
                    return fail(n, sealer, "ARC-Seal " + i + " has cv=" + cv);
                }
            }
            ParsedSignature ams = ParsedSignature.parse(sets.signature(n), ParsedSignature.Kind.ARC_MESSAGE);
            if (SignatureCheck.checkBodyHash(ams, bodies)) {
                return fail(n, sealer, "ARC-Message-Signature " + n + " covers only part of the body");
            }
            KeyRecord amsKey = SignatureCheck.fetchKey(ams.domain(), ams.selector(), ams.algorithm(), null, dns);
            SignatureCheck.checkSignature(ams, amsKey, header);
            for (int i = n; i >= 1; i--) {
                checkSeal(sets, i, dns);
            }
        } catch (SignatureFailure f) {
            String why = f.verdict() == DkimResult.Verdict.TEMPERROR ? "temporary: " + f.getMessage() : f.getMessage();
            return fail(n, sealer, why);
        }
        return new ArcResult(ArcResult.Verdict.PASS, n, sealer, null);
    }

    private static Tags sealTags(HeaderField seal) throws SignatureFailure {
        try {
            Tags tags = Tags.parse(seal.rawValue());
            for (String required : new String[] {"a", "b", "cv", "d", "i", "s"}) {
                if (tags.get(required) == null || tags.get(required).isEmpty()) {
                    throw new SignatureFailure(DkimResult.Verdict.PERMERROR, "ARC-Seal lacks " + required + "=");
                }
            }
            if (tags.has("h")) {
                throw new SignatureFailure(DkimResult.Verdict.PERMERROR, "ARC-Seal must not have h=");
            }
            return tags;
        } catch (IllegalArgumentException e) {
            throw new SignatureFailure(DkimResult.Verdict.PERMERROR, "malformed ARC-Seal: " + e.getMessage());
        }
    }

    private static void checkSeal(ArcSets sets, int i, AuthDns dns) throws SignatureFailure {
        HeaderField seal = sets.seal(i);
        Tags tags = sealTags(seal);
        DkimAlgorithm algorithm = DkimAlgorithm.ofTag(tags.get("a"));
        if (algorithm == null) {
            throw new SignatureFailure(DkimResult.Verdict.PERMERROR, "ARC-Seal " + i + ": unknown a=" + tags.get("a"));
        }
        String domain = tags.get("d").toLowerCase(Locale.ROOT);
        if (!dev.posthorn.mailauth.DomainNames.isValid(domain)) {
            throw new SignatureFailure(DkimResult.Verdict.PERMERROR, "ARC-Seal " + i + ": bad d=");
        }
        KeyRecord key = SignatureCheck.fetchKey(domain, tags.get("s"), algorithm, null, dns);
        byte[] data = sealData(sets, i, seal.raw());
        boolean ok;
        try {
            ok = algorithm.verify(key.key(), data, Base64.getDecoder().decode(Tags.compactBase64(tags.get("b"))));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            ok = false;
        }
        if (!ok) {
            throw new SignatureFailure(DkimResult.Verdict.FAIL, "ARC-Seal " + i + " did not verify");
        }
    }

    /**
     * RFC 8617 §5.1.1: the sets 1..i in order, each AAR, AMS, AS relaxed-canonicalized with CRLF, the last AS
     * (the one signed) with b= empty and without its CRLF.
     */
    static byte[] sealData(ArcSets sets, int i, String sealRaw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(2048);
        for (int j = 1; j <= i; j++) {
            out.writeBytes(HeaderCanon.canonicalize(sets.results(j), true).getBytes(StandardCharsets.ISO_8859_1));
            out.writeBytes(HeaderCanon.canonicalize(sets.signature(j), true).getBytes(StandardCharsets.ISO_8859_1));
            if (j < i) {
                out.writeBytes(HeaderCanon.canonicalize(sets.seal(j), true).getBytes(StandardCharsets.ISO_8859_1));
            }
        }
        out.writeBytes(HeaderCanon.canonicalize(HeaderCanon.withEmptySignature(sealRaw), true)
                .getBytes(StandardCharsets.ISO_8859_1));
        return out.toByteArray();
    }

    private static ArcResult fail(int n, String sealer, String reason) {
        return new ArcResult(ArcResult.Verdict.FAIL, n, sealer, reason);
    }
}
