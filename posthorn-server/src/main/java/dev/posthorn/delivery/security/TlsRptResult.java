package dev.posthorn.delivery.security;

/**
 * Why a session failed its policy, in the words of TLS-RPT (RFC 8460 §4.3, the "result-type" of a failure).
 * Also what {@code posthorn queue show} and the deferral reply name as the failure.
 */
public enum TlsRptResult {
    // §4.3.1 negotiation failures
    STARTTLS_NOT_SUPPORTED("starttls-not-supported"),
    CERTIFICATE_HOST_MISMATCH("certificate-host-mismatch"),
    CERTIFICATE_EXPIRED("certificate-expired"),
    CERTIFICATE_NOT_TRUSTED("certificate-not-trusted"),
    VALIDATION_FAILURE("validation-failure"),
    // §4.3.2 policy failures, DANE
    TLSA_INVALID("tlsa-invalid"),
    DNSSEC_INVALID("dnssec-invalid"),
    DANE_REQUIRED("dane-required"),
    // §4.3.2 policy failures, MTA-STS
    STS_POLICY_FETCH_ERROR("sts-policy-fetch-error"),
    STS_POLICY_INVALID("sts-policy-invalid"),
    STS_WEBPKI_INVALID("sts-webpki-invalid");

    private final String type;

    TlsRptResult(String type) {
        this.type = type;
    }

    /** The RFC's name, as in the report's JSON. */
    public String type() {
        return type;
    }

    public static TlsRptResult fromType(String type) {
        for (TlsRptResult r : values()) {
            if (r.type.equals(type)) {
                return r;
            }
        }
        throw new IllegalArgumentException("unknown TLS-RPT result type " + type);
    }
}
