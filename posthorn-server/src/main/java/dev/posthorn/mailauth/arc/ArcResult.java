package dev.posthorn.mailauth.arc;

/**
 * The validation of a message's ARC chain (RFC 8617 §5.2, results of §10.1): none (no ARC sets), pass or fail,
 * with the number of sets, the domain of the newest seal and why it failed.
 */
public record ArcResult(Verdict verdict, int instances, String sealer, String reason) {

    public enum Verdict {
        NONE, PASS, FAIL;

        public String word() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
