package dev.posthorn.delivery.security;

/**
 * The transport security of one delivery attempt: the level reached (or, for a refused host, required), the record
 * that decided it ("TLSA _25._tcp.mx.example 3 1 1 ab12…", "MTA-STS id=20240101 mode=enforce", "no DANE or
 * MTA-STS policy"), and the failure when the policy was not met (then null when it was).
 */
public record TlsSecurity(SecurityLevel level, String decidedBy, TlsRptResult failure, String detail) {

    public static TlsSecurity of(SecurityLevel level, String decidedBy) {
        return new TlsSecurity(level, decidedBy, null, null);
    }

    public TlsSecurity failed(TlsRptResult why, String what) {
        return new TlsSecurity(level, decidedBy, why, what);
    }

    /** One line: "dane (TLSA _25._tcp.mx.example 3 1 1 ab12…)", with the failure when there was one. */
    public String describe() {
        return level.label() + " (" + decidedBy + ")" + (failure == null ? "" : ", failed: " + failure.type()
                + (detail == null ? "" : " - " + detail));
    }
}
