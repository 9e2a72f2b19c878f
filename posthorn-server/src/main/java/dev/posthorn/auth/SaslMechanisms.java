package dev.posthorn.auth;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * The SASL mechanisms Posthorn offers. PLAIN and LOGIN send the password itself, so they exist only
 * inside TLS (RFC 4954 §4 note, RFC 8314); SCRAM-SHA-256 never reveals it and is offered wherever the
 * protocol offers AUTH at all.
 */
public final class SaslMechanisms {

    public static final String PLAIN = "PLAIN";
    public static final String LOGIN = "LOGIN";
    public static final String SCRAM_SHA_256 = "SCRAM-SHA-256";

    private final CredentialStore store;

    public SaslMechanisms(CredentialStore store) {
        this.store = Objects.requireNonNull(store, "store");
    }

    /** The names for the EHLO {@code AUTH} line, strongest first. */
    public List<String> advertised(boolean tlsActive) {
        return tlsActive ? List.of(SCRAM_SHA_256, PLAIN, LOGIN) : List.of(SCRAM_SHA_256);
    }

    /** A fresh mechanism for one AUTH command; empty if unknown or not available now (504). */
    public Optional<SaslMechanism> create(String name, boolean tlsActive) {
        if (name == null) {
            return Optional.empty();
        }
        return switch (name.toUpperCase(Locale.ROOT)) {
            case SCRAM_SHA_256 -> Optional.of(new ScramSha256Mechanism(store));
            case PLAIN -> tlsActive ? Optional.of(new PlainMechanism(store)) : Optional.empty();
            case LOGIN -> tlsActive ? Optional.of(new LoginMechanism(store)) : Optional.empty();
            default -> Optional.empty();
        };
    }
}
