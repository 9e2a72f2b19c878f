package dev.posthorn.queue;

import dev.posthorn.delivery.target.DeliveryTarget;
import dev.posthorn.delivery.target.Destination;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The work for one destination (a mailbox store, an LMTP server, a remote route), done by at most
 * {@link Destination#concurrency()} workers. Each worker opens one {@link DeliveryTarget} and drains the lane
 * with it, so a connection carries message after message; a worker whose lane is empty keeps it for
 * {@link #LINGER} in case more comes for the same destination (Postfix: smtp_connection_cache_time_limit = 2s).
 *
 * <p>A worker takes up to its target's {@link DeliveryTarget#batchLimit} jobs and hands them to the scheduler
 * together, which makes them durable with one flush. Where batches are larger than one (local mailboxes), a worker
 * that found fewer jobs than a batch waits up to {@link #FILL} for more before it starts: a flush (a syncfs and an
 * fsync per mailbox directory) costs the same for one message as for sixty, and under load the batches of
 * whatever happened to be queued were two or three messages (issue 15: half the flushes' cost, and fewer wake-ups
 * of the worker, for at most that much more delay of a local delivery). A lane whose batches are larger than one
 * adds a worker only when a whole batch is waiting: the backlog, not each message, decides the concurrency. Local
 * (file system) workers run at a lower priority ({@link LowPriority}) and hold their jobs while a burst of
 * acceptance lasts ({@link AcceptanceFirst}).
 */
final class Lane {

    private static final Logger LOG = LoggerFactory.getLogger(Lane.class);
    static final Duration LINGER = Duration.ofSeconds(2);
    /** The longest a worker of a batching lane waits for a batch to fill once it has a first job. */
    static final Duration FILL = Duration.ofMillis(10);

    /** Recipients of one message that go to this lane's destination, attempted in one transaction. */
    record Job(QueuedMessage message, List<Integer> recipients, long queuedNanos) {
        Job(QueuedMessage message, List<Integer> recipients) {
            this(message, recipients, System.nanoTime());
        }

        long bytes() {
            return message == null ? 0 : message.envelope().size();
        }
    }

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final Destination destination;
    private final Function<Destination, DeliveryTarget> opener;
    private final BiConsumer<List<Job>, DeliveryTarget> attempt;
    private final Consumer<Job> giveBack;
    private final BiConsumer<Job, Throwable> failed;
    /** A permit per remote connection, shared by all lanes; null where the lane holds no connection. */
    private final Semaphore connections;
    private final boolean platformThreads;
    private final int batchLimit;
    private final Duration fill;
    /** Holds local jobs back during a burst; null where this lane's delivery is not held. */
    private final AcceptanceFirst acceptanceFirst;
    /** The size of the messages in {@link #jobs}. */
    private long queuedBytes;
    private final ArrayDeque<Job> jobs = new ArrayDeque<>();
    private final java.util.Set<DeliveryTarget> open = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private int workers;
    /** Workers waiting for a first job (woken by each job), and workers waiting for a batch to fill (by a full one). */
    private int idle;
    private int filling;
    private int holding;
    private volatile boolean running = true;

    Lane(Destination destination, Function<Destination, DeliveryTarget> opener,
         BiConsumer<List<Job>, DeliveryTarget> attempt, Consumer<Job> giveBack, BiConsumer<Job, Throwable> failed,
         Semaphore connections, boolean platformThreads, int batchLimit, AcceptanceFirst acceptanceFirst) {
        this(destination, opener, attempt, giveBack, failed, connections, platformThreads, batchLimit, FILL,
                acceptanceFirst);
    }

    /** As above, with the fill wait given (tests use a long one, so what it changes can be seen). */
    Lane(Destination destination, Function<Destination, DeliveryTarget> opener,
         BiConsumer<List<Job>, DeliveryTarget> attempt, Consumer<Job> giveBack, BiConsumer<Job, Throwable> failed,
         Semaphore connections, boolean platformThreads, int batchLimit, Duration fill,
         AcceptanceFirst acceptanceFirst) {
        this.fill = fill;
        this.acceptanceFirst = acceptanceFirst != null && acceptanceFirst.enabled() ? acceptanceFirst : null;
        this.destination = destination;
        this.opener = opener;
        this.attempt = attempt;
        this.giveBack = giveBack;
        this.failed = failed;
        this.connections = connections;
        this.platformThreads = platformThreads;
        this.batchLimit = Math.max(1, batchLimit);
    }

    synchronized void add(Job job) {
        jobs.add(job);
        queuedBytes += job.bytes();
        if (filling > 0 && jobs.size() >= batchLimit) {
            notifyAll(); // a full batch: the workers waiting for one start now
        }
        if (idle > 0) {
            notify(); // a lingering worker with an open connection takes it
            return;
        }
        // A worker waiting for its batch to fill will take a batch of these: another worker is worth starting only
        // for a full batch beyond those (else a batch completed during a fill wait would start one for nothing).
        if (workers < Math.max(1, destination.concurrency())
                && (workers == 0 || jobs.size() >= batchLimit * (filling + 1L))) {
            workers++;
            (platformThreads ? Thread.ofPlatform().daemon() : Thread.ofVirtual())
                    .name("deliver-" + destination.key()).start(this::work);
        }
    }

    /** Workers waiting for their batch to fill now (tests wait for one before they act). */
    synchronized int filling() {
        return filling;
    }

    /** Workers of this lane now, started or still running (tests). */
    synchronized int workers() {
        return workers;
    }

    synchronized boolean idle() {
        return workers == 0 && jobs.isEmpty();
    }

    /**
     * The next jobs, up to {@code max}: waiting up to the linger time for the first, then (a batching lane) up to
     * the fill time for the batch to fill; null means stop (the worker is no longer counted).
     */
    private synchronized List<Job> next(int max) throws InterruptedException {
        long deadline = System.nanoTime() + LINGER.toNanos();
        while (jobs.isEmpty() && running) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            idle++;
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } finally {
                idle--;
            }
        }
        holdDuringBurst();
        if (max > 1) {
            long full = System.nanoTime() + fill.toNanos();
            while (running && !jobs.isEmpty() && jobs.size() < max) {
                long left = full - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                filling++;
                try {
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                } finally {
                    filling--;
                }
            }
        }
        Job job = running ? take() : null;
        if (job == null) {
            workers--;
            return null;
        }
        List<Job> batch = new ArrayList<>(Math.min(max, jobs.size() + 1));
        batch.add(job);
        while (batch.size() < max && !jobs.isEmpty()) {
            batch.add(take());
        }
        return batch;
    }

    private Job take() {
        Job job = jobs.poll();
        if (job != null) {
            queuedBytes -= job.bytes();
        }
        return job;
    }

    /** Every queued job, the lane left empty (called with the lane's lock held). */
    private List<Job> takeAll() {
        List<Job> all = List.copyOf(jobs);
        jobs.clear();
        queuedBytes = 0;
        return all;
    }

    /** Acceptance first: while {@link AcceptanceFirst} says so, the jobs wait (rechecked twice a sample). */
    private void holdDuringBurst() throws InterruptedException {
        if (acceptanceFirst == null) {
            return;
        }
        while (running && !jobs.isEmpty() && acceptanceFirst.holds(jobs.peek().queuedNanos(), queuedBytes)) {
            holding++;
            try {
                TimeUnit.NANOSECONDS.timedWait(this, AcceptanceFirst.SAMPLE.toNanos() / 2);
            } finally {
                holding--;
            }
        }
    }

    /** Workers holding their jobs back for a burst now (tests). */
    synchronized int holding() {
        return holding;
    }

    private void work() {
        boolean permit = false;
        boolean counted = true;
        Throwable cause = null;
        try {
            if (connections != null) {
                connections.acquire();
                permit = true;
            }
            if (platformThreads) {
                LowPriority.lowerCurrentThread();
            }
            try (DeliveryTarget target = opener.apply(destination)) {
                open.add(target);
                try {
                    List<Job> batch;
                    while ((batch = next(Math.max(1, target.batchLimit()))) != null) {
                        long cpu = acceptanceFirst == null ? -1 : THREADS.getCurrentThreadCpuTime();
                        attempt.accept(batch, target);
                        if (cpu >= 0) {
                            acceptanceFirst.deliveryUsed(THREADS.getCurrentThreadCpuTime() - cpu);
                        }
                    }
                    counted = false;
                } finally {
                    open.remove(target);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable e) {
            // An Error too: the jobs it leaves must go back to the scheduler, never stay stranded in the lane.
            LOG.error("delivery worker for {} failed", destination.key(), e);
            cause = e;
        } finally {
            if (permit) {
                connections.release();
            }
            if (counted) {
                abandon(cause);
            }
        }
    }

    /**
     * A worker that dies uncounts itself; the last one hands the lane's jobs back to the scheduler: as failed
     * attempts when it died of a fault (they back off, not loop), as not attempted when it was interrupted.
     */
    private void abandon(Throwable cause) {
        List<Job> orphans = List.of();
        synchronized (this) {
            workers--;
            if (workers == 0) {
                orphans = takeAll();
            }
        }
        for (Job job : orphans) {
            if (cause == null) {
                giveBack.accept(job);
            } else {
                failed.accept(job, cause);
            }
        }
    }

    /** Shutdown: lingering workers stop now; jobs not started go back. */
    void stop() {
        List<Job> left;
        synchronized (this) {
            running = false;
            left = takeAll();
            notifyAll();
        }
        left.forEach(giveBack);
    }

    /** Shutdown, after the grace period: cut the connections of attempts still running. */
    void abortAll() {
        open.forEach(DeliveryTarget::abort);
    }

    synchronized boolean busy() {
        return workers > 0;
    }
}
