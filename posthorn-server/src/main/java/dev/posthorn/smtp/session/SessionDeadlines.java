package dev.posthorn.smtp.session;

import java.net.SocketTimeoutException;
import java.time.Clock;
import java.time.Duration;

/**
 * The time limits of one session as absolute deadlines, so that they hold however the client spreads its bytes:
 * a read timeout alone restarts with every byte, and a client sending one byte a second would never meet it.
 * <ul>
 *   <li>a phase deadline: a command line must be complete within the command timeout of its first byte, the
 *       next one must start within the command timeout of the last reply, message content within the data
 *       timeout (RFC 5321 §4.5.3.2, SMTP-CONFORMANCE O-3), a TLS handshake within the command timeout;</li>
 *   <li>the session deadline, always in force.</li>
 * </ul>
 * The session thread sets the phase and checks it before each read ({@link #beforeRead}); the listener's
 * watchdog reads {@link #overdueSince} from another thread and ends a session blocked in a read, a handshake or a
 * write past its deadline (reads carry no socket timeout: see SmtpSession#beforeBlockingRead). A TLS handshake
 * also bounds each of its reads by what is left ({@link #readTimeoutMillis}).
 */
final class SessionDeadlines {

    private final Clock clock;
    private final long commandMillis;
    private final long sessionEnd;
    private volatile long phaseEnd;
    /**
     * While the session waits in a read: when that wait alone exceeds the command timeout (a client silent in
     * the middle of a command line or of message content); otherwise {@link Long#MAX_VALUE}.
     */
    private volatile long readEnd = Long.MAX_VALUE;

    SessionDeadlines(Clock clock, Duration commandTimeout, Duration sessionTimeout) {
        this.clock = clock;
        this.commandMillis = commandTimeout.toMillis();
        long now = clock.millis();
        this.sessionEnd = saturatedAdd(now, sessionTimeout.toMillis());
        this.phaseEnd = saturatedAdd(now, commandMillis);
    }

    /** Waiting for a command, a command line under way, or a command being answered: the command timeout. */
    void command() {
        phaseEnd = saturatedAdd(clock.millis(), commandMillis);
        readEnd = Long.MAX_VALUE;
    }

    /** Message content (DATA, or one BDAT chunk): the data timeout in total. */
    void content(Duration dataTimeout) {
        phaseEnd = saturatedAdd(clock.millis(), dataTimeout.toMillis());
        readEnd = Long.MAX_VALUE;
    }

    /**
     * The socket timeout for the next blocking read: what is left of the nearer deadline, and never more than
     * the command timeout between two reads.
     *
     * @throws SocketTimeoutException when a deadline has passed already
     */
    int readTimeoutMillis() throws SocketTimeoutException {
        long left = Math.min(phaseEnd, sessionEnd) - clock.millis();
        if (left <= 0) {
            throw new SocketTimeoutException("deadline passed");
        }
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, Math.min(commandMillis, left)));
    }

    /**
     * Before a blocking read: a deadline that has passed already ends the session here (421 4.4.2); otherwise
     * the wait that starts now may last the command timeout at most, also inside message content, where the
     * data timeout bounds the whole (what a per-read socket timeout did; RFC 5321 §4.5.3.2).
     */
    void beforeRead() throws SocketTimeoutException {
        long now = clock.millis();
        if (Math.min(phaseEnd, sessionEnd) <= now) {
            throw new SocketTimeoutException("deadline passed");
        }
        readEnd = saturatedAdd(now, commandMillis);
    }

    /** True once the session's own deadline has passed: the 421 then says so. */
    boolean sessionExpired() {
        return clock.millis() >= sessionEnd;
    }

    /** How long ago the nearer deadline passed, in milliseconds; negative while there is time left. */
    long overdueSince(long nowMillis) {
        return nowMillis - Math.min(Math.min(phaseEnd, sessionEnd), readEnd);
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }
}
