package dev.posthorn.delivery.lmtp;

import dev.posthorn.delivery.remote.ClientSettings;
import dev.posthorn.delivery.remote.RemoteReply;
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
import java.util.concurrent.TimeUnit;

/**
 * Hands messages to one LMTP server, reusing connections: a delivery takes an idle session (or opens one), and
 * gives it back when the server left it usable. At most {@code maxConnections} connections are open at once,
 * busy, idle and being opened together; a delivery that finds them all busy waits for one, at most the connect
 * time-out. An idle connection is kept up to {@code maxIdle}, and one on which the server has sent anything since
 * its last reply is never reused.
 *
 * <p>A kept connection the server has meanwhile dropped (its idle time-out) or closed with a {@code 421} (Dovecot
 * at a reload) fails before the server takes anything; that transaction is sent again at once on a new
 * connection, so neither defers mail. Safe for use by several threads; each session serves one delivery at a
 * time. {@link #close()} from any thread also cuts the deliveries in progress and the connections being opened
 * (at shutdown): their unanswered recipients are deferred.
 */
public final class LmtpClient implements AutoCloseable {

    /** How long an unused connection is kept; Dovecot's LMTP server waits minutes before it hangs up. */
    public static final Duration DEFAULT_MAX_IDLE = Duration.ofSeconds(30);
    /** Connections open at once to the server: busy, idle and being opened together. */
    public static final int DEFAULT_MAX_CONNECTIONS = 4;

    private final LmtpEndpoint endpoint;
    private final ClientSettings settings;
    private final Duration maxIdle;
    private final int maxConnections;
    private final Clock clock;
    /** Most recently used first: a delivery takes the freshest, and the oldest expire at the tail. */
    private final Deque<Idle> idle = new ArrayDeque<>();
    private final Set<LmtpSession> busy = new HashSet<>();
    private final Set<OpenAttempt> opening = new HashSet<>();
    private boolean closed;

    private record Idle(LmtpSession session, Instant since) {
    }

    public LmtpClient(LmtpEndpoint endpoint, ClientSettings settings) {
        this(endpoint, settings, DEFAULT_MAX_IDLE, DEFAULT_MAX_CONNECTIONS, Clock.systemUTC());
    }

    /**
     * @param maxIdle        how long an unused connection is kept
     * @param maxConnections connections open at once (at least 1): busy, idle and being opened
     */
    public LmtpClient(LmtpEndpoint endpoint, ClientSettings settings, Duration maxIdle, int maxConnections, Clock clock) {
        if (maxConnections < 1) {
            throw new IllegalArgumentException("an LMTP client needs at least one connection, not " + maxConnections);
        }
        this.endpoint = endpoint;
        this.settings = settings;
        this.maxIdle = maxIdle;
        this.maxConnections = maxConnections;
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
        LmtpSession first = LmtpSession.open(endpoint, settings);
        synchronized (client) {
            client.busy.add(first);
        }
        client.giveBack(first);
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
     * Delivers one message: one result per recipient, in order (see {@link LmtpSession#deliver}). For the queue:
     * {@link RecipientResult#status()} says delivered, deferred or bounced; a deferral at
     * {@link RecipientResult.Stage#UNCONFIRMED} may have been delivered (a retry can duplicate it), every other
     * deferral and every exception below means nothing reached any mailbox.
     *
     * @throws SmtpClientException   when no session could be had (refused connection, time-out, a greeting or
     *                               LHLO refused, every connection busy past the connect time-out): nothing was
     *                               delivered to any recipient, {@link SmtpClientException#reply()} says why
     * @throws IllegalStateException when the client is closed, before this call or while it waited for a
     *                               connection: nothing was delivered to any recipient (defer them all)
     * @throws IOException           when the message's content cannot be read
     */
    public List<RecipientResult> deliver(LmtpMessage message) throws IOException {
        LmtpSession session = take();
        try {
            boolean reused = session.transactions() > 0;
            List<RecipientResult> results = session.deliver(message);
            if (reused && session.lastTransactionUnanswered() && isOpen()) {
                session = replace(session);
                results = session.deliver(message);
            }
            giveBack(session);
            return results;
        } catch (IOException | RuntimeException e) {
            discard(session);
            throw e;
        }
    }

    /** An idle session that can be reused, else a new one once fewer than {@code maxConnections} are open. */
    private LmtpSession take() throws SmtpClientException {
        List<LmtpSession> retired = new ArrayList<>();
        OpenAttempt attempt;
        try {
            synchronized (this) {
                long deadline = System.nanoTime() + settings.connect().toNanos();
                while (true) {
                    if (closed) {
                        throw closed();
                    }
                    expire(retired);
                    Idle next;
                    while ((next = idle.pollFirst()) != null) {
                        if (next.session().isReusable()) {
                            busy.add(next.session());
                            notifyAll(); // the slots of the retired sessions are free
                            return next.session();
                        }
                        retired.add(next.session());
                    }
                    if (idle.size() + busy.size() + opening.size() < maxConnections) {
                        attempt = new OpenAttempt();
                        opening.add(attempt);
                        notifyAll();
                        break;
                    }
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new SmtpClientException(RemoteReply.local(451, "4.4.5", "All " + maxConnections
                                + " connections to the LMTP server at " + endpoint + " stayed busy for "
                                + settings.connect().toMillis() + " ms"), "no connection free");
                    }
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SmtpClientException(RemoteReply.local(451, "4.4.5", "Interrupted while waiting for a connection"
                    + " to the LMTP server at " + endpoint), "interrupted", e);
        } finally {
            // Outside the lock: a QUIT waits for its reply.
            retired.forEach(LmtpClient::retire);
        }
        return open(attempt);
    }

    /** Opens a session in a slot already counted in {@link #opening}; busy once open, unless the client closed. */
    private LmtpSession open(OpenAttempt attempt) throws SmtpClientException {
        LmtpSession fresh;
        try {
            fresh = LmtpSession.open(endpoint, settings, attempt);
        } catch (SmtpClientException | RuntimeException e) {
            boolean wasClosed;
            synchronized (this) {
                opening.remove(attempt);
                notifyAll();
                wasClosed = closed;
            }
            if (wasClosed) {
                // Cut by close(): the failure is the shutdown's, and nothing was sent.
                IllegalStateException c = closed();
                c.addSuppressed(e);
                throw c;
            }
            throw e;
        }
        synchronized (this) {
            opening.remove(attempt);
            if (!closed) {
                busy.add(fresh);
                return fresh;
            }
            notifyAll();
        }
        fresh.close();
        throw closed();
    }

    /** Closes a kept connection the server had left and opens another in its slot, for the same transaction. */
    private LmtpSession replace(LmtpSession old) throws SmtpClientException {
        OpenAttempt attempt = new OpenAttempt();
        synchronized (this) {
            busy.remove(old);
            if (closed) {
                notifyAll();
                throw closed();
            }
            opening.add(attempt);
        }
        old.close();
        return open(attempt);
    }

    private void giveBack(LmtpSession session) {
        List<LmtpSession> retired = new ArrayList<>();
        synchronized (this) {
            busy.remove(session);
            if (!closed && session.isReusable()) {
                idle.addFirst(new Idle(session, clock.instant()));
            } else {
                retired.add(session);
            }
            expire(retired);
            notifyAll();
        }
        retired.forEach(LmtpClient::retire);
    }

    private void discard(LmtpSession session) {
        synchronized (this) {
            busy.remove(session);
            notifyAll();
        }
        session.close();
    }

    /** Moves every idle session older than {@code maxIdle} to {@code retired}: the oldest are at the tail. */
    private void expire(List<LmtpSession> retired) {
        Instant now = clock.instant();
        while (!idle.isEmpty() && Duration.between(idle.peekLast().since(), now).compareTo(maxIdle) >= 0) {
            retired.add(idle.pollLast().session());
        }
    }

    /** QUIT on a clean connection; one with unread bytes is closed, as a QUIT's reply could not be told apart. */
    private static void retire(LmtpSession session) {
        if (session.isReusable()) {
            session.quit();
        } else {
            session.close();
        }
    }

    private IllegalStateException closed() {
        return new IllegalStateException("LMTP client for " + endpoint + " is closed");
    }

    /** For tests: idle connections that the next delivery could take as they are (age aside). */
    synchronized int reusableIdle() {
        return (int) idle.stream().filter(i -> i.session().isReusable()).count();
    }

    /** For tests: the sessions in the middle of a delivery now. */
    synchronized List<LmtpSession> busySessions() {
        return List.copyOf(busy);
    }

    /** For tests: connections being opened now. */
    synchronized int opening() {
        return opening.size();
    }

    /**
     * QUIT on every idle connection; connections in the middle of a delivery and connections being opened are
     * cut. A later {@link #deliver} throws {@link IllegalStateException}.
     */
    @Override
    public void close() {
        List<Idle> toQuit;
        List<LmtpSession> toCut;
        List<OpenAttempt> toStop;
        synchronized (this) {
            closed = true;
            toQuit = List.copyOf(idle);
            idle.clear();
            toCut = new ArrayList<>(busy);
            toStop = new ArrayList<>(opening);
            notifyAll();
        }
        toStop.forEach(OpenAttempt::cut);
        toCut.forEach(LmtpSession::close);
        toQuit.forEach(i -> retire(i.session()));
    }
}
