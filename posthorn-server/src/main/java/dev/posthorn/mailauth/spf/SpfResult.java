package dev.posthorn.mailauth.spf;

/**
 * An SPF result (RFC 7208 §2.6) for one identity: {@code domain} is the domain checked, {@code identity} what
 * Authentication-Results names (the MAIL FROM address, or the HELO name).
 */
public record SpfResult(Verdict verdict, String identity, String domain, String explanation) {

    public enum Verdict {
        NONE, NEUTRAL, PASS, FAIL, SOFTFAIL, TEMPERROR, PERMERROR;

        public String word() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
