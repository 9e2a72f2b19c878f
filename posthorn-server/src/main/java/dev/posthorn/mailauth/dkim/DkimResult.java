package dev.posthorn.mailauth.dkim;

/**
 * The verdict on one signature (RFC 8601 §2.7.1 result names): pass, fail (the signature or body hash does
 * not verify), neutral, policy (verified but not acceptable, e.g. l= shorter than the body), temperror (the
 * key could not be fetched now), permerror (malformed, key missing or unusable). {@code domain},
 * {@code selector}, {@code signaturePrefix} may be null for a signature too broken to name them.
 */
public record DkimResult(Verdict verdict, String domain, String selector, String identity, String algorithm,
                         String signaturePrefix, String reason) {

    public enum Verdict {
        PASS, FAIL, NEUTRAL, POLICY, TEMPERROR, PERMERROR;

        public String word() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public boolean passed() {
        return verdict == Verdict.PASS;
    }
}
