package dev.posthorn.auth;

/**
 * One SASL exchange; a new instance per AUTH command. Pure: no I/O, never throws for client input.
 * Base64, {@code *} cancellation, line lengths and command sequencing are the protocol's business.
 */
public interface SaslMechanism {

    /** The IANA name, upper case. */
    String name();

    /**
     * Starts the exchange. The default suits client-first mechanisms (PLAIN, SCRAM).
     *
     * @param initialResponse the decoded initial response of {@code AUTH MECH ir}; {@code null} when none
     *                        was given, an empty array when the client sent {@code =}
     */
    default SaslStep start(byte[] initialResponse) {
        if (initialResponse == null) {
            // RFC 4954 §4: a client-first mechanism without an initial response gets an empty challenge.
            return new SaslStep.Challenge(new byte[0]);
        }
        return respond(initialResponse);
    }

    /** The client's next (already base64-decoded) response. */
    SaslStep respond(byte[] response);
}
