package dev.posthorn.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.delivery.target.DeliveryTarget;
import dev.posthorn.delivery.target.Destination;
import dev.posthorn.delivery.target.MaildirTarget;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A batching lane (local mailboxes) waits a little for its batch to fill before a worker starts it, so that one
 * flush (syncfs, then an fsync per new/) covers many messages under load (issue 15); a full batch does not wait,
 * and a shutdown during the wait gives the jobs back unattempted. The fill wait is long here (seconds, not the
 * server's 10 ms) so that what it changes is seen whatever the machine's scheduling delays.
 */
class LaneBatchFillTest {

    private final LinkedBlockingQueue<List<Integer>> batches = new LinkedBlockingQueue<>();
    private final List<Integer> givenBack = new CopyOnWriteArrayList<>();

    private Lane lane(int batchLimit, Duration fill) {
        return new Lane(new Destination.Mailbox(1), d -> new MaildirTarget(null, batchLimit),
                (List<Lane.Job> jobs, DeliveryTarget target) -> batches.add(
                        jobs.stream().map(job -> job.recipients().get(0)).toList()),
                job -> givenBack.add(job.recipients().get(0)), (job, e) -> { }, null, false, batchLimit, fill);
    }

    private static Lane.Job job(int n) {
        return new Lane.Job(null, List.of(n));
    }

    @Test
    void aJobArrivingWhileTheBatchFillsGoesInTheSameBatch() throws Exception {
        Lane lane = lane(64, Duration.ofSeconds(2));
        try {
            lane.add(job(0));
            assertThat(batches.poll(10, TimeUnit.SECONDS)).containsExactly(0);
            // The worker now waits for work; a job wakes it, and the second one, 300 ms later, still joins it.
            lane.add(job(1));
            Thread.sleep(300);
            lane.add(job(2));
            assertThat(batches.poll(10, TimeUnit.SECONDS)).containsExactly(1, 2);
        } finally {
            lane.stop();
        }
    }

    @Test
    void aFullBatchStartsWithoutWaiting() throws Exception {
        Lane lane = lane(3, Duration.ofSeconds(30));
        try {
            long start = System.nanoTime();
            lane.add(job(1));
            lane.add(job(2));
            lane.add(job(3));
            assertThat(batches.poll(10, TimeUnit.SECONDS)).containsExactly(1, 2, 3);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        } finally {
            lane.stop();
        }
    }

    @Test
    void aShutdownWhileTheBatchFillsGivesTheJobsBackUnattempted() throws Exception {
        Lane lane = lane(64, Duration.ofSeconds(30));
        lane.add(job(7));
        Thread.sleep(200); // the worker is waiting for more
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
