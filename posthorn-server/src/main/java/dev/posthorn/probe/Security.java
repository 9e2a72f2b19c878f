package dev.posthorn.probe;

/** How the session is encrypted: not at all, by STARTTLS after the greeting, or from the first byte. */
public enum Security {
    NONE,
    STARTTLS,
    IMPLICIT_TLS
}
