package dev.posthorn.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * When local delivery gives way to acceptance (issue 15, "acceptance first"): only for a burst (64 messages
 * accepted a tenth of a second) on a busy CPU, never longer than the hold limit, never for more than
 * {@link AcceptanceFirst#HELD_BYTES}. Time and the CPU's load are given by the test.
 */
class AcceptanceFirstTest {

    private static final Duration HOLD = Duration.ofSeconds(5);
    private static final int BURST = AcceptanceFirst.BURST;
    private static final int CPUS = 2;

    private long now = 1_000_000_000L;
    private double load;
    private long processCpu = -1;

    private final AcceptanceFirst gate = new AcceptanceFirst(HOLD, () -> load, () -> processCpu, () -> now, CPUS);

    /** {@code millis} pass with {@code arrivals} messages accepted and the CPU {@code busy} busy. */
    private void sample(long millis, long arrivals, double busy) {
        for (long i = 0; i < arrivals; i++) {
            gate.arrived();
        }
        now += Duration.ofMillis(millis).toNanos();
        load = busy;
    }

    private boolean holdsFresh() {
        return gate.holds(now, 1024);
    }

    @Test
    void aBurstOnABusyCpuIsHeld() {
        assertThat(BURST).as("the default burst").isEqualTo(64);
        sample(100, BURST, 0.9);
        assertThat(holdsFresh()).isTrue();
    }

    @Test
    void fewerThanABurstATenthOfASecondIsNotHeld() {
        sample(100, BURST - 1, 1.0);
        assertThat(holdsFresh()).isFalse();
    }

    @Test
    void aFewMessagesASecondAreNeverHeldHoweverBusyTheCpu() {
        for (int i = 0; i < 10; i++) {
            sample(100, 1, 1.0);
            assertThat(holdsFresh()).isFalse();
        }
    }

    @Test
    void aBurstOnACpuWithRoomToSpareIsNotHeld() {
        sample(100, 10L * BURST, 0.45);
        assertThat(holdsFresh()).isFalse();
    }

    @Test
    void theCpuDeliveryUsedItselfDoesNotCountAsBusy() {
        // 90% busy, of which delivery's workers took half of the CPUs: 40% is left for everything else.
        gate.deliveryUsed(Duration.ofMillis(100).toNanos() * CPUS / 2);
        sample(100, BURST, 0.9);
        assertThat(holdsFresh()).isFalse();
    }

    @Test
    void aMessageIsHeldNoLongerThanTheHoldLimitEvenIfTheBurstGoesOn() {
        sample(100, BURST, 1.0);
        long queued = now;
        assertThat(gate.holds(queued, 1024)).isTrue();
        sample(4_800, 48L * BURST, 1.0);
        assertThat(gate.holds(queued, 1024)).as("4.8 s of the 5 s limit").isTrue();
        sample(200, 2L * BURST, 1.0);
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
    void theServersOwnCpuCountsWhenTheMachinesLoadReadsLow() {
        // A JMX reader polling getCpuLoad shortens its window to nothing: it reads 0. The process's own CPU time
        // (a cumulative counter) still shows the CPUs busy: 0.15 s of CPU over 0.1 s on 2 CPUs, 75%.
        processCpu = 0;
        AcceptanceFirst withOwn = new AcceptanceFirst(HOLD, () -> 0.0, () -> processCpu, () -> now, CPUS);
        for (int i = 0; i < BURST; i++) {
            withOwn.arrived();
        }
        now += Duration.ofMillis(100).toNanos();
        processCpu += Duration.ofMillis(150).toNanos();
        assertThat(withOwn.holds(now, 1024)).isTrue();
        // The same without the process's counter: 0 load, nothing held.
        for (int i = 0; i < BURST; i++) {
            withOwn.arrived();
        }
        now += Duration.ofMillis(100).toNanos();
        assertThat(withOwn.holds(now, 1024)).as("the process used no CPU over this sample").isFalse();
    }

    @Test
    void whereTheCpuLoadIsNotKnownTheBurstAloneDecides() {
        sample(100, BURST, -1);
        assertThat(holdsFresh()).isTrue();
    }

    @Test
    void aZeroHoldLimitNeverHolds() {
        AcceptanceFirst off = new AcceptanceFirst(Duration.ZERO, () -> 1.0, () -> -1, () -> now, CPUS);
        for (int i = 0; i < BURST; i++) {
            off.arrived();
        }
        now += Duration.ofMillis(100).toNanos();
        assertThat(off.enabled()).isFalse();
        assertThat(off.holds(now, 0)).isFalse();
    }

    @Test
    void aBusyShareThatIsNotANumberFromZeroToOneFallsBackToAHalf() {
        assertThat(AcceptanceFirst.busyShare(null)).isEqualTo(0.5);
        assertThat(AcceptanceFirst.busyShare("0.8")).isEqualTo(0.8);
        assertThat(AcceptanceFirst.busyShare("0")).isZero();
        assertThat(AcceptanceFirst.busyShare("abc")).isEqualTo(0.5);
        assertThat(AcceptanceFirst.busyShare("1.5")).isEqualTo(0.5);
        assertThat(AcceptanceFirst.busyShare("NaN")).isEqualTo(0.5);
    }

    @Test
    void theJdksCountersAreReadForReal() {
        var load = AcceptanceFirst.cpuLoadOfThisServer();
        var processCpu = AcceptanceFirst.processCpuTime();
        load.getAsDouble();
        long before = processCpu.getAsLong();
        assertThat(before).as("this process's CPU time so far").isPositive();
        // Spin until this process has used 50 ms of CPU (however busy the machine), at most 10 s.
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (processCpu.getAsLong() - before < Duration.ofMillis(50).toNanos() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(processCpu.getAsLong() - before).as("the counter advances").isGreaterThanOrEqualTo(
                Duration.ofMillis(50).toNanos());
        assertThat(load.getAsDouble()).as("the CPU's load over the spin").isBetween(0.0, 1.0);
    }

    @Test
    void aBurstThatIsNotAWholeNumberFromOneFallsBackTo64() {
        assertThat(AcceptanceFirst.burst(null)).isEqualTo(64);
        assertThat(AcceptanceFirst.burst("2")).isEqualTo(2);
        assertThat(AcceptanceFirst.burst("0")).isEqualTo(64);
        assertThat(AcceptanceFirst.burst("x")).isEqualTo(64);
    }
}
