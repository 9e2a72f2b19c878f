package dev.posthorn.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.delivery.target.DeliveryTarget;
import dev.posthorn.delivery.target.Destination;
import dev.posthorn.delivery.target.MaildirTarget;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A batching lane (local mailboxes) waits a little for its batch to fill before a worker starts it, so that one
 * flush (syncfs, then an fsync per new/) covers many messages under load (issue 15); a batch that fills during
 * the wait starts at once and starts no other worker, and a shutdown during the wait gives the jobs back
 * unattempted. The fill wait is long here (seconds, not the server's 10 ms) so that what it changes is seen
 * whatever the machine's scheduling delays; each test acts once the worker is seen in its fill wait.
 */
class LaneBatchFillTest {

    private final LinkedBlockingQueue<List<Integer>> batches = new LinkedBlockingQueue<>();
    private final List<Integer> givenBack = new CopyOnWriteArrayList<>();
    private final AtomicInteger workersStarted = new AtomicInteger();
    /** Attempts wait for this before they return (a test that needs workers to stay busy replaces it). */
    private volatile CountDownLatch release = new CountDownLatch(0);

    private Lane lane(int concurrency, int batchLimit, Duration fill) {
        return new Lane(new Destination.Mailbox(concurrency), d -> {
            workersStarted.incrementAndGet(); // a worker opens its target when it starts
            return new MaildirTarget(null, batchLimit);
        }, (List<Lane.Job> jobs, DeliveryTarget target) -> {
            batches.add(jobs.stream().map(job -> job.recipients().get(0)).toList());
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        },
                job -> givenBack.add(job.recipients().get(0)), (job, e) -> { }, null, false, batchLimit, fill, null);
    }

    private static Lane.Job job(int n) {
        return new Lane.Job(null, List.of(n));
    }

    private static void awaitFilling(Lane lane) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (lane.filling() == 0) {
            assertThat(System.nanoTime()).as("a worker waits for its batch to fill").isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    @Test
    void aJobArrivingWhileTheBatchFillsGoesInTheSameBatch() throws Exception {
        Lane lane = lane(1, 64, Duration.ofSeconds(2));
        try {
            lane.add(job(1));
            awaitFilling(lane);
            lane.add(job(2));
            assertThat(batches.poll(10, TimeUnit.SECONDS)).containsExactly(1, 2);
        } finally {
            lane.stop();
        }
    }

    @Test
    void aBatchThatFillsDuringTheWaitStartsAtOnceAndStartsNoOtherWorker() throws Exception {
        Lane lane = lane(2, 3, Duration.ofSeconds(30));
        try {
            lane.add(job(1));
            awaitFilling(lane);
            long start = System.nanoTime();
            lane.add(job(2));
            lane.add(job(3));
            // add() decides whether to start another worker: none for the batch the waiting one will take.
            assertThat(lane.workers()).as("workers for one batch").isEqualTo(1);
            assertThat(batches.poll(10, TimeUnit.SECONDS)).containsExactly(1, 2, 3);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("well inside the 30 s fill wait")
                    .isLessThan(Duration.ofSeconds(10));
            assertThat(workersStarted.get()).as("targets opened").isEqualTo(1);
        } finally {
            lane.stop();
        }
    }

    @Test
    void aSecondFullBatchBeyondTheFillingOneStartsASecondWorker() throws Exception {
        Lane lane = lane(2, 2, Duration.ofSeconds(30));
        release = new CountDownLatch(1); // the first worker stays in its attempt until every job is queued
        try {
            lane.add(job(1));
            awaitFilling(lane);
            for (int n = 2; n <= 4; n++) {
                lane.add(job(n));
            }
            assertThat(lane.workers()).as("one worker per full batch").isEqualTo(2);
            release.countDown();
            List<Integer> first = batches.poll(10, TimeUnit.SECONDS);
            List<Integer> second = batches.poll(10, TimeUnit.SECONDS);
            assertThat(first).hasSize(2);
            assertThat(second).hasSize(2);
            assertThat(workersStarted.get()).isEqualTo(2);
        } finally {
            release.countDown();
            lane.stop();
        }
    }

    @Test
    void aShutdownWhileTheBatchFillsGivesTheJobsBackUnattempted() throws Exception {
        Lane lane = lane(1, 64, Duration.ofSeconds(30));
        lane.add(job(7));
        awaitFilling(lane);
        lane.stop();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (lane.busy() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(lane.busy()).as("the worker stopped").isFalse();
        assertThat(givenBack).containsExactly(7);
        assertThat(batches).isEmpty();
    }
}
