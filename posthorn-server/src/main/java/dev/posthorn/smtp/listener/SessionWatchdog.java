package dev.posthorn.smtp.listener;

import dev.posthorn.smtp.session.SmtpSession;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Looks at every open session four times a second and makes each keep its deadlines (see
 * {@link SmtpSession#enforceDeadline}): session reads carry no socket timeout, so this is what ends an idle or
 * slow client, within a quarter of a second of its deadline. One platform thread for the whole server: the
 * check is a clock comparison per session.
 */
public final class SessionWatchdog implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SessionWatchdog.class);
    static final Duration INTERVAL = Duration.ofMillis(250);

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("session-watchdog").factory());

    public SessionWatchdog(Set<SmtpSession> sessions, Clock clock) {
        timer.scheduleWithFixedDelay(() -> sweep(sessions, clock), INTERVAL.toMillis(), INTERVAL.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    private static void sweep(Set<SmtpSession> sessions, Clock clock) {
        // A scheduled task that throws is never run again, and this watch is what ends idle sessions (their reads
        // carry no socket timeout): nothing, not even an Error (out of memory in a flood), may end it.
        try {
            long now = clock.millis();
            for (SmtpSession session : sessions) {
                try {
                    session.enforceDeadline(now);
                } catch (Throwable e) {
                    LOG.error("watchdog check failed for a session", e);
                }
            }
        } catch (Throwable e) {
            LOG.error("watchdog sweep failed; the next one runs as usual", e);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
