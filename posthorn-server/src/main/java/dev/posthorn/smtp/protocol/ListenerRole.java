package dev.posthorn.smtp.protocol;

/** What a listening port is for; it decides TLS and AUTH rules (SMTP-CONFORMANCE §4). */
public enum ListenerRole {
    /** Port 25: mail for hosted domains from anyone; STARTTLS offered, never required; no AUTH. */
    MX,
    /** Port 587: STARTTLS required, then AUTH required before MAIL (RFC 6409, RFC 3207 §4). */
    SUBMISSION,
    /** Port 465: implicit TLS (RFC 8314), then AUTH required before MAIL. */
    SUBMISSIONS;

    public boolean requiresAuth() {
        return this != MX;
    }
}
