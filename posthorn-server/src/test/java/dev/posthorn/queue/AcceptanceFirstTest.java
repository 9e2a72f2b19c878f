package dev.posthorn.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * When local delivery gives way to acceptance (issue 15, "acceptance first"): only for a burst on a busy CPU,
 * never longer than the hold limit, never for more than {@link AcceptanceFirst#HELD_BYTES}. Time and the
 * machine's CPU are given by the test (a sample is a tenth of a second); {@link AcceptanceFirst.ProcStat} is
 * read for real at the end.
 */
class AcceptanceFirstTest {

    private static final Duration HOLD = Duration.ofSeconds(5);
    private static final int BURST = 64;

    private long now = 1_000_000_000L;
    private long busyTicks;
    private long totalTicks;
    private boolean cpuReadable = true;

    private final AcceptanceFirst gate = new AcceptanceFirst(HOLD, BURST,
            () -> cpuReadable ? new long[] {busyTicks, totalTicks} : null, () -> now);

    /** {@code millis} pass with {@code arrivals} local messages arriving and the machine {@code busy} busy. */
    private void sample(long millis, int arrivals, double busy) {
        for (int i = 0; i < arrivals; i++) {
            gate.arrived();
        }
        now += Duration.ofMillis(millis).toNanos();
        totalTicks += millis * 2; // two CPUs' worth of ticks
        busyTicks += Math.round(millis * 2 * busy);
    }

    private boolean holdsFresh() {
        return gate.holds(now, 1024);
    }

    @Test
    void aBurstOnABusyCpuIsHeld() {
        sample(100, BURST, 0.9);
        assertThat(holdsFresh()).isTrue();
    }

    @Test
    void fewerThanABatchATenthOfASecondIsNotABurst() {
        sample(100, BURST - 1, 1.0);
        assertThat(holdsFresh()).isFalse();
    }

    @Test
    void aBurstOnACpuWithRoomToSpareIsNotHeld() {
        sample(100, 10 * BURST, 0.45);
        assertThat(holdsFresh()).isFalse();
    }

    @Test
    void theCpuDeliveryUsedItselfDoesNotCountAsBusy() {
        // 90% busy, of which delivery's workers took half the machine: 40% is left for everything else.
        gate.deliveryUsed(Duration.ofMillis(100).toNanos() * AcceptanceFirst.ProcStat.CPUS / 2);
        sample(100, BURST, 0.9);
        assertThat(holdsFresh()).isFalse();
    }

    @Test
    void aMessageIsHeldNoLongerThanTheHoldLimitEvenIfTheBurstGoesOn() {
        sample(100, BURST, 1.0);
        long queued = now;
        assertThat(gate.holds(queued, 1024)).isTrue();
        sample(4_800, 48 * BURST, 1.0);
        assertThat(gate.holds(queued, 1024)).as("4.8 s of the 5 s limit").isTrue();
        sample(200, 2 * BURST, 1.0);
        assertThat(gate.holds(queued, 1024)).as("at the limit").isFalse();
        assertThat(gate.holds(now, 1024)).as("a message queued just now, the burst going on").isTrue();
    }

    @Test
    void aLaneHoldsLessThanItsByteLimit() {
        sample(100, BURST, 1.0);
        assertThat(gate.holds(now, AcceptanceFirst.HELD_BYTES - 1)).isTrue();
        assertThat(gate.holds(now, AcceptanceFirst.HELD_BYTES)).isFalse();
    }

    @Test
    void theHoldEndsWithTheBurst() {
        sample(100, BURST, 1.0);
        assertThat(holdsFresh()).isTrue();
        sample(100, 0, 1.0);
        assertThat(holdsFresh()).as("a tenth of a second without arrivals").isFalse();
    }

    @Test
    void aLongGapIsJudgedAsARateNotACount() {
        // 100 arrivals over a second nobody asked in between: 10 a tenth of a second, no burst.
        sample(1000, 100, 1.0);
        assertThat(holdsFresh()).isFalse();
    }

    @Test
    void whereTheCpuCannotBeReadTheBurstAloneDecides() {
        cpuReadable = false;
        sample(100, BURST, 0.0);
        assertThat(holdsFresh()).isTrue();
    }

    @Test
    void aZeroHoldLimitNeverHolds() {
        AcceptanceFirst off = new AcceptanceFirst(Duration.ZERO, BURST, () -> new long[] {now, now}, () -> now);
        off.arrived();
        now += Duration.ofMillis(100).toNanos();
        assertThat(off.enabled()).isFalse();
        assertThat(off.holds(now, 0)).isFalse();
    }

    @Test
    void procStatsFirstLineIsReadAsBusyAndTotalTicks() {
        // user nice system idle iowait irq softirq steal guest guest_nice: idle and iowait are not busy.
        assertThat(AcceptanceFirst.ProcStat.parse("cpu  10 2 3 100 7 1 1 4 9 9")).containsExactly(21, 128);
        assertThat(AcceptanceFirst.ProcStat.parse("cpu0 10 2 3 100 7 1 1 4 0 0")).isNull();
        assertThat(AcceptanceFirst.ProcStat.parse(null)).isNull();
    }

    @Test
    void theMachinesCpuIsReadOnLinux() throws Exception {
        assumeTrue(System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux"));
        long[] first = AcceptanceFirst.ProcStat.machine().busyAndTotal();
        long spinUntil = System.nanoTime() + Duration.ofMillis(50).toNanos();
        while (System.nanoTime() < spinUntil) {
            Thread.onSpinWait();
        }
        long[] second = AcceptanceFirst.ProcStat.machine().busyAndTotal();
        assertThat(first).isNotNull();
        assertThat(second[1]).as("total ticks advance").isGreaterThan(first[1]);
        assertThat(second[0]).as("busy ticks advance while this thread spins").isGreaterThan(first[0]);
        assertThat(AcceptanceFirst.ProcStat.CPUS).isPositive();
    }
}
