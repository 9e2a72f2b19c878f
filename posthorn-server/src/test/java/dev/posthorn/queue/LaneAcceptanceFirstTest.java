package dev.posthorn.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.delivery.target.DeliveryTarget;
import dev.posthorn.delivery.target.Destination;
import dev.posthorn.delivery.target.MaildirTarget;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A local lane under {@link AcceptanceFirst}, in real time: a flood of jobs is held while it lasts and delivered
 * once it stops, each job once; a flood that goes on is still delivered, with a lag of at most the hold limit; a
 * shutdown during a hold gives the jobs back unattempted. The CPU counts as fully busy here (the burst decides).
 */
class LaneAcceptanceFirstTest {

    private final List<Integer> delivered = new CopyOnWriteArrayList<>();
    private final List<Long> lagMillis = new CopyOnWriteArrayList<>();
    private final List<Integer> givenBack = new CopyOnWriteArrayList<>();
    private final AtomicInteger attempts = new AtomicInteger();

    private AcceptanceFirst gate;

    private Lane lane(Duration hold) {
        gate = new AcceptanceFirst(hold, () -> 1.0, () -> -1, System::nanoTime, 2);
        return new Lane(new Destination.Mailbox(1), d -> new MaildirTarget(null, 2),
                (List<Lane.Job> jobs, DeliveryTarget target) -> {
                    attempts.incrementAndGet();
                    for (Lane.Job job : jobs) {
                        delivered.add(job.recipients().get(0));
                        lagMillis.add((System.nanoTime() - job.queuedNanos()) / 1_000_000);
                    }
                },
                job -> givenBack.add(job.recipients().get(0)), (job, e) -> { }, null, false, 2,
                Duration.ofMillis(10), gate);
    }

    /**
     * Accepts a burst's worth of messages every 10 ms (ten bursts a sample) and adds one job for them, until
     * stopped.
     */
    private Thread flood(Lane lane, AtomicBoolean stop, AtomicInteger added) {
        return Thread.ofPlatform().start(() -> {
            while (!stop.get()) {
                for (int i = 0; i < AcceptanceFirst.BURST; i++) {
                    gate.arrived();
                }
                lane.add(new Lane.Job(null, List.of(added.incrementAndGet())));
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    private static void await(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what).isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    @Test
    void aFloodIsHeldWhileItLastsAndDeliveredOnceWhenItStops() throws Exception {
        Lane lane = lane(Duration.ofSeconds(60));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger added = new AtomicInteger();
        Thread feeder = flood(lane, stop, added);
        try {
            await("the worker holds for the burst", () -> lane.holding() > 0);
            int before = attempts.get();
            Thread.sleep(700);
            assertThat(attempts.get()).as("no delivery while the flood goes on").isEqualTo(before);
            assertThat(added.get()).as("jobs queued meanwhile").isGreaterThan(delivered.size() + 20);
            stop.set(true);
            feeder.join();
            long stopped = System.nanoTime();
            await("everything delivered after the flood", () -> delivered.size() == added.get());
            // The next sample without arrivals ends the hold: a tenth of a second, two at worst, plus a recheck.
            assertThat(Duration.ofNanos(System.nanoTime() - stopped)).as("drained soon after the flood")
                    .isLessThan(Duration.ofSeconds(2));
            assertThat(delivered).as("each job once").doesNotHaveDuplicates();
        } finally {
            stop.set(true);
            lane.stop();
        }
    }

    @Test
    void aFloodThatGoesOnIsDeliveredWithALagOfAtMostTheHoldLimit() throws Exception {
        Duration hold = Duration.ofMillis(500);
        Lane lane = lane(hold);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger added = new AtomicInteger();
        Thread feeder = flood(lane, stop, added);
        try {
            await("the worker holds for the burst", () -> lane.holding() > 0);
            int before = delivered.size();
            Thread.sleep(1_500);
            assertThat(delivered.size()).as("deliveries go on during the flood").isGreaterThan(before + 50);
            // A job waits the hold limit, then at most a recheck (half a sample) and a batch's fill wait more.
            assertThat(lagMillis.stream().mapToLong(Long::longValue).max().orElseThrow())
                    .as("longest wait of a delivered job, ms").isLessThan(hold.toMillis() + 700);
            assertThat(lagMillis.stream().filter(ms -> ms >= hold.toMillis() - 50).count())
                    .as("jobs that were held up to the limit").isPositive();
        } finally {
            stop.set(true);
            feeder.join();
            lane.stop();
        }
    }

    @Test
    void aShutdownDuringAHoldGivesTheJobsBackUnattempted() throws Exception {
        Lane lane = lane(Duration.ofSeconds(60));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger added = new AtomicInteger();
        Thread feeder = flood(lane, stop, added);
        await("the worker holds for the burst", () -> lane.holding() > 0);
        stop.set(true);
        feeder.join();
        int attempted = attempts.get();
        lane.stop();
        await("the worker stopped", () -> !lane.busy());
        assertThat(attempts.get()).as("no attempt after the stop").isEqualTo(attempted);
        var all = ConcurrentHashMap.<Integer>newKeySet();
        all.addAll(delivered);
        all.addAll(givenBack);
        assertThat(delivered.size() + givenBack.size()).as("each job delivered or given back, once")
                .isEqualTo(added.get()).isEqualTo(all.size());
        assertThat(givenBack).as("jobs held at the stop").isNotEmpty();
    }
}
