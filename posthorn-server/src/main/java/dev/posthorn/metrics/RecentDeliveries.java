package dev.posthorn.metrics;

import java.time.Clock;

/**
 * Delivery attempts of the last hour by result, for the console's dashboard (Prometheus computes its own windows
 * from the counters; a page cannot). Sixty one-minute buckets in a ring: a bucket is reset when its minute
 * comes round again, so the sum covers the last 60 to 61 minutes.
 */
public final class RecentDeliveries {

    /** The results counted: delivered, deferred, bounced (expired counts as bounced: it failed for good). */
    public record LastHour(long delivered, long deferred, long bounced) {
    }

    private static final int MINUTES = 60;

    private final Clock clock;
    private final long[] minuteOf = new long[MINUTES];
    private final long[][] counts = new long[MINUTES][3];

    public RecentDeliveries(Clock clock) {
        this.clock = clock;
    }

    public synchronized void record(String result) {
        int kind = switch (result) {
            case "delivered" -> 0;
            case "deferred" -> 1;
            default -> 2;
        };
        long minute = clock.instant().getEpochSecond() / 60;
        int slot = (int) (minute % MINUTES);
        if (minuteOf[slot] != minute) {
            minuteOf[slot] = minute;
            counts[slot] = new long[3];
        }
        counts[slot][kind]++;
    }

    public synchronized LastHour lastHour() {
        long now = clock.instant().getEpochSecond() / 60;
        long[] sum = new long[3];
        for (int slot = 0; slot < MINUTES; slot++) {
            if (now - minuteOf[slot] < MINUTES) {
                for (int k = 0; k < 3; k++) {
                    sum[k] += counts[slot][k];
                }
            }
        }
        return new LastHour(sum[0], sum[1], sum[2]);
    }


}
