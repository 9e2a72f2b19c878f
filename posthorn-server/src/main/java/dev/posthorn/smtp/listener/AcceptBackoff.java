package dev.posthorn.smtp.listener;

import java.time.Duration;
import org.slf4j.Logger;

/**
 * What the accept loop does when {@code accept} keeps failing (out of file descriptors: EMFILE, ENFILE): wait
 * before trying again, 10 ms doubling to 1 s, so the loop does not spin on a core; and log at most once per
 * interval, with the number of failures, so the log is not flooded with a line per attempt. Near the limit,
 * failures and successes alternate as descriptors come and go; the log still gets at most one failure line
 * and one recovery line per interval. Used by the accept thread only.
 */
final class AcceptBackoff {

    static final Duration FIRST_DELAY = Duration.ofMillis(10);
    static final Duration MAX_DELAY = Duration.ofSeconds(1);
    static final Duration LOG_INTERVAL = Duration.ofSeconds(10);

    private final Logger log;
    private final int port;
    private long delayMillis;
    /** Failures not yet counted in a log line. */
    private long unreported;
    /** Failures since the last failure line, for the recovery line. */
    private long sinceReport;
    private boolean reportedSinceRecovery;
    private long lastReportNanos;
    private boolean everReported;

    AcceptBackoff(Logger log, int port) {
        this.log = log;
        this.port = port;
    }

    /** An accept failed: log if due, then wait the current delay and double it. */
    void failed(Exception e) {
        unreported++;
        sinceReport++;
        long now = System.nanoTime();
        if (!everReported || now - lastReportNanos >= LOG_INTERVAL.toNanos()) {
            log.error("accept on port {} failing: {} ({} failure(s) since the last report; retrying with back-off)",
                    port, e.toString(), unreported);
            everReported = true;
            lastReportNanos = now;
            unreported = 0;
            sinceReport = 1;
            reportedSinceRecovery = true;
        }
        delayMillis = delayMillis == 0 ? FIRST_DELAY.toMillis() : Math.min(MAX_DELAY.toMillis(), delayMillis * 2);
        try {
            Thread.sleep(delayMillis);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** An accept worked: the back-off starts again from the beginning next time. */
    void succeeded() {
        delayMillis = 0;
        if (reportedSinceRecovery) {
            log.warn("accept on port {} works again ({} failed attempt(s) since the last report)", port, sinceReport);
            reportedSinceRecovery = false;
        }
    }
}
