package dev.posthorn.auth;

/** One server-side SASL exchange; a new instance per AUTH command. Pure: no I/O besides credential lookups. */
public interface SaslMechanism {

    String name();

    /** Starts the exchange; {@code initialResponse} is null when none was given, empty for "=". */
    SaslStep start(byte[] initialResponse);

    /** The client's next response, already base64-decoded. */
    SaslStep respond(byte[] response);
}
