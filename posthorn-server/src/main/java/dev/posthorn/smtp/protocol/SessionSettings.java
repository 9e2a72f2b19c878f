package dev.posthorn.smtp.protocol;

/**
 * What a session's protocol needs to know about its listener and limits. {@code tlsAvailable} is false when
 * no certificate could be loaded (then STARTTLS answers 454).
 */
public record SessionSettings(
        ListenerRole role,
        String hostname,
        String version,
        boolean implicitTls,
        boolean tlsAvailable,
        long maxMessageSize,
        int maxRecipients,
        int maxErrors,
        int maxHops,
        boolean forbidUnauthPipelining) {
}
