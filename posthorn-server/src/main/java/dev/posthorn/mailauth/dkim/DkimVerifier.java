package dev.posthorn.mailauth.dkim;

import dev.posthorn.mailauth.AuthDns;
import dev.posthorn.mailauth.HeaderField;
import dev.posthorn.mailauth.MessageHeader;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Verifies every DKIM-Signature of a message (RFC 6376 §6), RSA and Ed25519 alike, up to
 * {@link #MAX_SIGNATURES} (RFC 6376 §6.1 lets a verifier limit the work). Each signature gets its own result;
 * a DNS failure is a temperror, never a pass or a fail.
 */
public final class DkimVerifier {

    /**
     * Real mail carries one to three (author, sending service, mailing list); each one's body hash is a pass
     * over the whole body, so a sender must not be able to make the receiver hash it dozens of times.
     */
    public static final int MAX_SIGNATURES = 5;

    private final Clock clock;

    public DkimVerifier(Clock clock) {
        this.clock = clock;
    }

    /**
     * The body hashes the signatures that will be verified need (computed while the body streams): those of the
     * first {@link #MAX_SIGNATURES} DKIM-Signatures, the ones {@link #verify} checks, and that of the newest
     * ARC-Message-Signature, the only one ARC validation checks (RFC 8617 §5.2). Older ARC sets, and signatures
     * past the limit, cost no pass over the body however many a sender adds.
     */
    public static Set<BodyHashSpec> bodyHashesNeeded(MessageHeader header) {
        Set<BodyHashSpec> specs = new LinkedHashSet<>();
        int dkim = 0;
        ParsedSignature newestAms = null;
        for (HeaderField f : header.fields()) {
            try {
                if (f.is("DKIM-Signature") && dkim++ < MAX_SIGNATURES) {
                    specs.add(ParsedSignature.parse(f, ParsedSignature.Kind.DKIM).bodyHashSpec());
                } else if (f.is("ARC-Message-Signature")) {
                    ParsedSignature ams = ParsedSignature.parse(f, ParsedSignature.Kind.ARC_MESSAGE);
                    if (newestAms == null || ams.instance() > newestAms.instance()) {
                        newestAms = ams;
                    }
                }
            } catch (SignatureFailure ignored) {
                // Reported when verified.
            }
        }
        if (newestAms != null) {
            specs.add(newestAms.bodyHashSpec());
        }
        return specs;
    }

    public List<DkimResult> verify(MessageHeader header, BodyHashes bodies, AuthDns dns) {
        List<DkimResult> results = new ArrayList<>();
        for (HeaderField field : header.all("DKIM-Signature")) {
            if (results.size() == MAX_SIGNATURES) {
                break;
            }
            results.add(verifyOne(field, header, bodies, dns));
        }
        return results;
    }

    private DkimResult verifyOne(HeaderField field, MessageHeader header, BodyHashes bodies, AuthDns dns) {
        ParsedSignature sig = null;
        try {
            sig = ParsedSignature.parse(field, ParsedSignature.Kind.DKIM);
            if (sig.expiry() != null && clock.instant().getEpochSecond() > sig.expiry()) {
                throw new SignatureFailure(DkimResult.Verdict.FAIL, "signature expired");
            }
            boolean partial = SignatureCheck.checkBodyHash(sig, bodies);
            KeyRecord key = SignatureCheck.fetchKey(sig.domain(), sig.selector(), sig.algorithm(), sig.identity(), dns);
            SignatureCheck.checkSignature(sig, key, header);
            if (partial) {
                return result(sig, DkimResult.Verdict.POLICY, "l= covers only part of the body");
            }
            return result(sig, DkimResult.Verdict.PASS, key.testing() ? "key in testing mode (t=y)" : null);
        } catch (SignatureFailure f) {
            return result(sig, field, f.verdict(), f.getMessage());
        }
    }

    private static DkimResult result(ParsedSignature sig, DkimResult.Verdict verdict, String reason) {
        return new DkimResult(verdict, sig.domain(), sig.selector(), sig.identity(), sig.algorithm().tag(),
                sig.signaturePrefix(), reason);
    }

    /** A result for a signature that may not have parsed: names what can be read safely. */
    private static DkimResult result(ParsedSignature sig, HeaderField field, DkimResult.Verdict verdict,
            String reason) {
        if (sig != null) {
            return result(sig, verdict, reason);
        }
        String domain = null;
        String selector = null;
        try {
            Tags tags = Tags.parse(field.rawValue());
            String d = tags.get("d");
            domain = dev.posthorn.mailauth.DomainNames.isValid(d) ? d.toLowerCase(java.util.Locale.ROOT) : null;
            String s = tags.get("s");
            selector = s != null && s.matches("[A-Za-z0-9_.-]{1,63}") ? s : null;
        } catch (IllegalArgumentException unreadable) {
            // Nothing can be named.
        }
        return new DkimResult(verdict, domain, selector, null, null, null, reason);
    }
}
