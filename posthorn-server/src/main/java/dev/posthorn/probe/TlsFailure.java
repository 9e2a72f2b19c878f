package dev.posthorn.probe;

/** How a TLS handshake failed, as far as the exception and the certificate tell. */
public enum TlsFailure {
    /** The chain does not lead to a trusted authority (self-signed, unknown issuer, expired). */
    CERTIFICATE_UNTRUSTED,
    /** The certificate is trusted but made out for other names. */
    HOSTNAME_MISMATCH,
    /** No protocol version both sides accept (an old server offering TLS 1.0/1.1 only). */
    PROTOCOL_VERSION,
    /** The server answered with something that is not TLS: a plain SMTP port. */
    NOT_TLS,
    /** Anything else: no common cipher, an alert, a reset. */
    OTHER
}
