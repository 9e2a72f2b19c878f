package dev.posthorn.auth;

/**
 * One SASL exchange; a new instance per AUTH command. Pure: no I/O, never throws for client input.
 * Base64, {@code *} cancellation, line lengths and command sequencing are the protocol's business.
 */
public interface SaslMechanism {

    /** The IANA name, upper case. */
    String name();

    /**
     * Starts the exchange.
     *
     * @param initialResponse the decoded initial response of {@code AUTH MECH ir}; {@code null} when none
     *                        was given, an empty array when the client sent {@code =}
     */
    SaslStep start(byte[] initialResponse);

    /** The client's next (already base64-decoded) response. */
    SaslStep respond(byte[] response);
}
