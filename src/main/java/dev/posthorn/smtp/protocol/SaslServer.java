package dev.posthorn.smtp.protocol;

import dev.posthorn.auth.SaslMechanism;
import java.util.List;
import java.util.Optional;

/** What the protocol needs from the authentication layer: which mechanisms exist, and a new exchange. */
public interface SaslServer {

    /** Mechanism names to advertise; PLAIN and LOGIN only when TLS is active (RFC 4954 §4). */
    List<String> advertised(boolean tlsActive);

    /** A new exchange for the mechanism, or empty when it is unknown or unusable here (504). */
    Optional<SaslMechanism> create(String name, boolean tlsActive);
}
