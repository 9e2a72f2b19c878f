package dev.posthorn.mailauth.arc;

import dev.posthorn.mailauth.HeaderField;
import dev.posthorn.mailauth.MessageHeader;
import dev.posthorn.mailauth.dkim.BodyCanonicalizer;
import dev.posthorn.mailauth.dkim.DkimSigner;
import dev.posthorn.mailauth.dkim.SigningKey;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Adds this server's ARC set to a message it forwards (RFC 8617 §5.1): ARC-Authentication-Results with the
 * results it found, an ARC-Message-Signature over the message as it leaves, and an ARC-Seal over the whole
 * chain with cv= the chain's validation. A chain that already failed (a seal with cv=fail) or has 50 sets
 * gets no new set.
 */
public final class ArcSealer {

    private ArcSealer() {
    }

    /**
     * The three fields, top first (ARC-Seal, ARC-Message-Signature, ARC-Authentication-Results), each ending in
     * CRLF; empty when the chain must not be extended.
     *
     * @param resultsPayload the Authentication-Results value after the authserv-id, e.g. "spf=pass ..."
     */
    public static String seal(MessageHeader header, BodyCanonicalizer.BodyHash relaxedBody, ArcResult chain,
            String authservId, String resultsPayload, SigningKey key, Instant now) throws GeneralSecurityException {
        ArcSets sets = ArcSets.of(header);
        int n = sets.highest();
        if (n >= dev.posthorn.mailauth.dkim.ArcInstance.MAX || sets.structureProblem() != null && n > 0) {
            return "";
        }
        for (int i = 1; i <= n; i++) {
            if (sets.seal(i).rawValue().replaceAll("\\s", "").toLowerCase(java.util.Locale.ROOT).contains("cv=fail")) {
                return "";
            }
        }
        int i = n + 1;
        String cv = n == 0 ? "none" : chain.verdict() == ArcResult.Verdict.PASS ? "pass" : "fail";
        String aar = "ARC-Authentication-Results: i=" + i + "; " + authservId + ";\r\n\t" + resultsPayload;
        List<String> names = new ArrayList<>(DkimSigner.fieldsToSign(header, DkimSigner.DEFAULT_FIELDS));
        String amsTags = "i=" + i + "; a=" + key.algorithm().tag() + "; c=relaxed/relaxed; d=" + key.domain()
                + "; s=" + key.selector() + ";\r\n\tt=" + now.getEpochSecond() + "; h=" + String.join(":", names)
                + ";\r\n\tbh=" + Base64.getEncoder().encodeToString(relaxedBody.sha256()) + ";\r\n\tb=";
        String ams = DkimSigner.signField("ARC-Message-Signature", amsTags, names, header, key);
        // The seal covers the sets so far plus the new AAR and AMS (RFC 8617 §5.1.1).
        sets.byInstance.put(i, new ArcSets.Set(List.of(HeaderField.of(aar)),
                List.of(DkimSigner.asField(ams)), new ArrayList<>()));
        String sealUnsigned = "ARC-Seal: i=" + i + "; a=" + key.algorithm().tag() + "; t=" + now.getEpochSecond()
                + "; cv=" + cv + ";\r\n\td=" + key.domain() + "; s=" + key.selector() + "; b=";
        byte[] data = ArcVerifier.sealData(sets, i, sealUnsigned);
        String seal = sealUnsigned + DkimSigner.fold(Base64.getEncoder().encodeToString(key.algorithm().sign(key.privateKey(), data)))
                + "\r\n";
        return seal + ams + aar + "\r\n";
    }
}
