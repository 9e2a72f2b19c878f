package dev.posthorn.delivery.security;

import java.util.Locale;

/**
 * How well one outbound session was protected, weakest first: {@code none} (plaintext), {@code opportunistic}
 * (TLS, certificate not checked: RFC 7435), {@code mta-sts} (TLS with a WebPKI certificate valid for the MX name,
 * required by the domain's MTA-STS policy: RFC 8461), {@code dane} (TLS with a certificate matching the MX host's
 * DNSSEC-signed TLSA records: RFC 7672).
 */
public enum SecurityLevel {
    NONE,
    OPPORTUNISTIC,
    MTA_STS,
    DANE;

    /** The name shown by {@code posthorn queue show} and {@code posthorn probe}: "none", "mta-sts", ... */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static SecurityLevel fromLabel(String label) {
        return valueOf(label.toUpperCase(Locale.ROOT).replace('-', '_'));
    }
}
