package dev.posthorn.smtp.session;

import dev.posthorn.metrics.MailMetrics;
import dev.posthorn.policy.MailPolicy;
import dev.posthorn.policy.MessageAuthentication;
import dev.posthorn.smtp.protocol.AuthGate;
import dev.posthorn.auth.SaslMechanisms;
import dev.posthorn.spool.Envelope;
import dev.posthorn.spool.Spool;
import dev.posthorn.tls.ServerTls;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Everything below the session that a session uses, shared by all sessions of a server. {@code tls} is null
 * when TLS is not available; {@code sasl} is null where AUTH is not offered; {@code authentication} is null
 * when mail authentication (checks, signing) is not wired; {@code metrics} counts connections, replies and
 * messages ({@link MailMetrics#NONE} when nothing is measured); {@code script} is null except in test mode
 * ({@link ReplyScript}). {@code onAccepted} takes each committed message before its {@code 250} is sent; it may
 * throw {@link java.io.UncheckedIOException} only when it has kept nothing of the message (test mode's capture),
 * and the transaction then fails with {@code 451 4.3.0}.
 */
public record SessionServices(
        String hostname,
        String version,
        MailPolicy policy,
        Spool spool,
        Consumer<Envelope> onAccepted,
        ServerTls tls,
        SaslMechanisms sasl,
        Function<InetAddress, AuthGate> authGates,
        SessionLimits limits,
        Clock clock,
        MessageAuthentication authentication,
        MailMetrics metrics,
        ReplyScript script) {

    public SessionServices {
        metrics = metrics == null ? MailMetrics.NONE : metrics;
    }

    /** Without a reply script: every server but one in test mode. */
    public SessionServices(String hostname, String version, MailPolicy policy, Spool spool,
            Consumer<Envelope> onAccepted, ServerTls tls, SaslMechanisms sasl,
            Function<InetAddress, AuthGate> authGates, SessionLimits limits, Clock clock,
            MessageAuthentication authentication, MailMetrics metrics) {
        this(hostname, version, policy, spool, onAccepted, tls, sasl, authGates, limits, clock, authentication, metrics,
                null);
    }

    /** Without metrics or a reply script. */
    public SessionServices(String hostname, String version, MailPolicy policy, Spool spool,
            Consumer<Envelope> onAccepted, ServerTls tls, SaslMechanisms sasl,
            Function<InetAddress, AuthGate> authGates, SessionLimits limits, Clock clock,
            MessageAuthentication authentication) {
        this(hostname, version, policy, spool, onAccepted, tls, sasl, authGates, limits, clock, authentication,
                MailMetrics.NONE, null);
    }

    /** Without mail authentication (no checks, no signing). */
    public SessionServices(String hostname, String version, MailPolicy policy, Spool spool,
            Consumer<Envelope> onAccepted, ServerTls tls, SaslMechanisms sasl,
            Function<InetAddress, AuthGate> authGates, SessionLimits limits, Clock clock) {
        this(hostname, version, policy, spool, onAccepted, tls, sasl, authGates, limits, clock, null, MailMetrics.NONE,
                null);
    }

    /** Time and size limits of one session (RFC 5321 §4.5.3.2 and local policy). */
    public record SessionLimits(
            long maxMessageSize,
            int maxRecipients,
            int maxErrors,
            int maxHops,
            Duration commandTimeout,
            Duration dataTimeout,
            Duration sessionTimeout,
            boolean forbidUnauthPipelining) {
    }
}
