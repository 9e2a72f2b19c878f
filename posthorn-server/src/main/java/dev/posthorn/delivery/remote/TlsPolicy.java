package dev.posthorn.delivery.remote;

/** How an outbound connection treats STARTTLS (RFC 3207). */
public enum TlsPolicy {
    /** Never STARTTLS (for peers known to break it). */
    NONE,
    /** STARTTLS when offered, any certificate accepted (RFC 7435: opportunistic security); plaintext otherwise. */
    OPPORTUNISTIC,
    /** STARTTLS must succeed, any certificate accepted (Postfix's "encrypt"); otherwise the delivery defers. */
    REQUIRED,
    /** STARTTLS must succeed with a certificate valid for the host name in the JDK's trust store. */
    VERIFY;

    public static TlsPolicy parse(String value, String key) {
        if (value == null || value.isBlank()) {
            return OPPORTUNISTIC;
        }
        return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "none", "off" -> NONE;
            case "opportunistic", "may" -> OPPORTUNISTIC;
            case "required", "encrypt" -> REQUIRED;
            case "verify" -> VERIFY;
            default -> throw new IllegalArgumentException(key + " = \"" + value
                    + "\": use \"opportunistic\", \"required\", \"verify\" or \"none\"");
        };
    }

    public boolean mandatory() {
        return this == REQUIRED || this == VERIFY;
    }
}
