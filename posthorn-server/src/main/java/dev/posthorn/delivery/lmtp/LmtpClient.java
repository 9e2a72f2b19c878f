package dev.posthorn.delivery.lmtp;

import dev.posthorn.delivery.remote.ClientSettings;
import dev.posthorn.delivery.remote.SmtpClientException;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * Hands messages to one LMTP server, reusing connections: a delivery takes an idle session (or opens one), and
 * gives it back when the server left it usable. A kept connection the server has meanwhile dropped fails before
 * any reply; that transaction is sent again at once on a new connection, so an idle time-out at the server never
 * defers mail. Safe for use by several threads; each session serves one delivery at a time.
 */
public final class LmtpClient implements AutoCloseable {

    /** How long an unused connection is kept; Dovecot's LMTP server waits minutes before it hangs up. */
    public static final Duration DEFAULT_MAX_IDLE = Duration.ofSeconds(30);
    public static final int DEFAULT_IDLE_SESSIONS = 4;

    private final LmtpEndpoint endpoint;
    private final ClientSettings settings;
    private final Duration maxIdle;
    private final int maxIdleSessions;
    private final Clock clock;
    private final Deque<Idle> idle = new ArrayDeque<>();
    private boolean closed;

    private record Idle(LmtpSession session, Instant since) {
    }

    public LmtpClient(LmtpEndpoint endpoint, ClientSettings settings) {
        this(endpoint, settings, DEFAULT_MAX_IDLE, DEFAULT_IDLE_SESSIONS, Clock.systemUTC());
    }

    public LmtpClient(LmtpEndpoint endpoint, ClientSettings settings, Duration maxIdle, int maxIdleSessions, Clock clock) {
        this.endpoint = endpoint;
        this.settings = settings;
        this.maxIdle = maxIdle;
        this.maxIdleSessions = maxIdleSessions;
        this.clock = clock;
    }

    public LmtpEndpoint endpoint() {
        return endpoint;
    }

    /**
     * Delivers one message: one result per recipient, in order (see {@link LmtpSession#deliver}).
     *
     * @throws SmtpClientException when no session could be opened (refused connection, time-out, a greeting or
     *                             LHLO refused): nothing was tried for any recipient, {@link SmtpClientException#reply()}
     *                             says why
     * @throws IOException         when the message's content cannot be read
     */
    public List<RecipientResult> deliver(LmtpMessage message) throws IOException {
        LmtpSession session = take();
        boolean reused = session.transactions() > 0;
        List<RecipientResult> results;
        try {
            results = session.deliver(message);
            if (reused && session.lastTransactionUnanswered()) {
                session.close();
                session = LmtpSession.open(endpoint, settings);
                results = session.deliver(message);
            }
        } catch (IOException | RuntimeException e) {
            session.close();
            throw e;
        }
        giveBack(session);
        return results;
    }

    /** A new connection of one's own, outside the pool; the caller quits it. */
    public LmtpSession open() throws SmtpClientException {
        return LmtpSession.open(endpoint, settings);
    }

    private LmtpSession take() throws SmtpClientException {
        Instant now = clock.instant();
        while (true) {
            Idle next;
            synchronized (this) {
                if (closed) {
                    throw new IllegalStateException("LMTP client for " + endpoint + " is closed");
                }
                next = idle.pollFirst();
            }
            if (next == null) {
                return LmtpSession.open(endpoint, settings);
            }
            if (next.session().isUsable() && Duration.between(next.since(), now).compareTo(maxIdle) < 0) {
                return next.session();
            }
            next.session().quit();
        }
    }

    private void giveBack(LmtpSession session) {
        if (!session.isUsable()) {
            session.close();
            return;
        }
        synchronized (this) {
            if (!closed && idle.size() < maxIdleSessions) {
                idle.addFirst(new Idle(session, clock.instant()));
                return;
            }
        }
        session.quit();
    }

    /** QUIT on every kept connection. */
    @Override
    public void close() {
        List<Idle> toQuit;
        synchronized (this) {
            closed = true;
            toQuit = List.copyOf(idle);
            idle.clear();
        }
        toQuit.forEach(i -> i.session().quit());
    }
}
