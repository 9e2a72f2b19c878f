package dev.posthorn.mailauth.dmarc;

/**
 * The DMARC verdict (RFC 7489 §11.2 result names) for the author domain {@code fromDomain}: the policy that
 * applies ({@code null} when no record was found), whether it was taken from the organizational domain's
 * sp=, and the policy after pct= sampling ({@code applied}).
 */
public record DmarcResult(Verdict verdict, String fromDomain, DmarcRecord.Policy policy, DmarcRecord.Policy applied,
                          boolean subdomainPolicy, String reason) {

    public enum Verdict {
        NONE, PASS, FAIL, TEMPERROR, PERMERROR;

        public String word() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
