package dev.posthorn.delivery;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * When to try a deferred recipient again, when to send a "delayed" notice, and when to give up.
 * RFC 5321 §4.5.4.1: retry at least 30 minutes apart after the first attempts; give up after 4-5 days.
 */
public record RetrySchedule(List<Duration> intervals, Duration giveUpAfter, Duration delayNoticeAfter) {

    public RetrySchedule {
        if (intervals.isEmpty()) {
            throw new IllegalArgumentException("queue.retry_intervals_seconds needs at least one value");
        }
        for (Duration d : intervals) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("queue.retry_intervals_seconds: every value must be > 0, got " + d);
            }
        }
        intervals = List.copyOf(intervals);
    }

    public static RetrySchedule from(QueueConfig config) {
        return new RetrySchedule(config.retryIntervalsSeconds.stream().map(Duration::ofSeconds).toList(),
                Duration.ofSeconds(config.giveUpAfterSeconds), Duration.ofSeconds(config.delayNoticeAfterSeconds));
    }

    public static RetrySchedule defaults() {
        return from(new QueueConfig());
    }

    /** The wait after the given number of failed attempts (1 = after the first failure); the last interval repeats. */
    public Duration delayAfter(int failedAttempts) {
        int index = Math.max(0, Math.min(failedAttempts - 1, intervals.size() - 1));
        return intervals.get(index);
    }

    /**
     * The next attempt after a failure at {@code now}, or null when the recipient should be given up:
     * when the next attempt would fall after {@code arrival + giveUpAfter}.
     */
    public Instant nextAttempt(Instant arrival, int failedAttempts, Instant now) {
        Instant next = now.plus(delayAfter(failedAttempts));
        return next.isAfter(giveUpAt(arrival)) ? null : next;
    }

    public Instant giveUpAt(Instant arrival) {
        return arrival.plus(giveUpAfter);
    }

    /** Whether a "delayed" DSN is due for a recipient still pending at {@code now}. */
    public boolean delayNoticeDue(Instant arrival, Instant now) {
        return !delayNoticeAfter.isZero() && !now.isBefore(arrival.plus(delayNoticeAfter));
    }
}
