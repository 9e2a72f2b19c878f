package dev.posthorn.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A clock that moves only when the test moves it, from 2026-01-01T00:00:00Z in UTC: rules that depend on time
 * (throttle windows, idle limits) are tested by advancing it, never by sleeping. Read from any thread.
 */
public final class ManualClock extends Clock {

    private volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");

    public void advance(Duration by) {
        now = now.plus(by);
    }

    @Override
    public Instant instant() {
        return now;
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    /** The zone does not matter to what is tested: the same clock. */
    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }
}
