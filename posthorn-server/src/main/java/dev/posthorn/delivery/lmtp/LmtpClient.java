package dev.posthorn.delivery.lmtp;

import dev.posthorn.delivery.remote.ClientSettings;
import dev.posthorn.delivery.remote.SmtpClientException;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Hands messages to one LMTP server, reusing connections: a delivery takes an idle session (or opens one), and
 * gives it back when the server left it usable. A kept connection the server has meanwhile dropped fails before
 * any reply; that transaction is sent again at once on a new connection, so an idle time-out at the server never
 * defers mail. Safe for use by several threads; each session serves one delivery at a time. {@link #close()} from
 * any thread also cuts the deliveries in progress (at shutdown): their unanswered recipients are deferred.
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
    private final Set<LmtpSession> busy = new HashSet<>();
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

    /**
     * A client whose first connection is already open (greeting read, LHLO answered), for a caller that wants to
     * know at once whether the server can be used.
     *
     * @throws SmtpClientException with the server's reply, or a synthesised {@code 451 4.4.x}, when it cannot
     */
    public static LmtpClient open(LmtpEndpoint endpoint, ClientSettings settings) throws SmtpClientException {
        LmtpClient client = new LmtpClient(endpoint, settings);
        client.giveBack(LmtpSession.open(endpoint, settings));
        return client;
    }

    public LmtpEndpoint endpoint() {
        return endpoint;
    }

    /** Until {@link #close()}. */
    public synchronized boolean isOpen() {
        return !closed;
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
        try {
            boolean reused = session.transactions() > 0;
            List<RecipientResult> results = session.deliver(message);
            if (reused && session.lastTransactionUnanswered() && isOpen()) {
                release(session);
                session.close();
                session = take(LmtpSession.open(endpoint, settings));
                results = session.deliver(message);
            }
            giveBack(session);
            return results;
        } catch (IOException | RuntimeException e) {
            release(session);
            session.close();
            throw e;
        }
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
                if (next != null && next.session().isReusable()
                        && Duration.between(next.since(), now).compareTo(maxIdle) < 0) {
                    busy.add(next.session());
                    return next.session();
                }
            }
            if (next == null) {
                return take(LmtpSession.open(endpoint, settings));
            }
            retire(next.session());
        }
    }

    /** Marks a new session busy, unless the client was closed meanwhile. */
    private LmtpSession take(LmtpSession fresh) {
        synchronized (this) {
            if (!closed) {
                busy.add(fresh);
                return fresh;
            }
        }
        fresh.close();
        throw new IllegalStateException("LMTP client for " + endpoint + " is closed");
    }

    private synchronized void release(LmtpSession session) {
        busy.remove(session);
    }

    private void giveBack(LmtpSession session) {
        synchronized (this) {
            busy.remove(session);
            if (!closed && session.isReusable() && idle.size() < maxIdleSessions) {
                idle.addFirst(new Idle(session, clock.instant()));
                return;
            }
        }
        retire(session);
    }

    /** QUIT on a clean connection; one with unread bytes is closed, as a QUIT's reply could not be told apart. */
    private static void retire(LmtpSession session) {
        if (session.isReusable()) {
            session.quit();
        } else {
            session.close();
        }
    }

    /** For tests: idle connections that the next delivery could take as they are (age aside). */
    synchronized int reusableIdle() {
        return (int) idle.stream().filter(i -> i.session().isReusable()).count();
    }

    /** QUIT on every idle connection; connections in the middle of a delivery are cut. */
    @Override
    public void close() {
        List<Idle> toQuit;
        List<LmtpSession> toCut;
        synchronized (this) {
            closed = true;
            toQuit = List.copyOf(idle);
            idle.clear();
            toCut = new ArrayList<>(busy);
        }
        toCut.forEach(LmtpSession::close);
        toQuit.forEach(i -> i.session().quit());
    }
}
