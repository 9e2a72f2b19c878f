package dev.posthorn.spool;

import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Waits for a future with a deadline without arming a timer per wait. On a virtual thread (every SMTP session)
 * {@code future.get(timeout)} schedules and cancels a task in the JDK's delay scheduler and wakes its thread
 * each time: at thousands of commits a second that was a measurable share of the sessions' CPU (BENCHMARKS.md,
 * issue 15). Here a wait registers once in a queue, blocks without a timeout, and one sweeper thread ends the
 * waits whose deadline has passed, within {@link #SWEEP} of it.
 */
final class BoundedWait {

    private static final Logger LOG = LoggerFactory.getLogger(BoundedWait.class);
    static final long SWEEP = TimeUnit.MILLISECONDS.toNanos(20);
    private static final ConcurrentLinkedQueue<Waiter> WAITERS = new ConcurrentLinkedQueue<>();

    private record Waiter(CompletableFuture<?> bounded, long deadline) {
    }

    static {
        Thread.ofPlatform().daemon().name("spool-deadlines").start(BoundedWait::sweep);
    }

    private BoundedWait() {
    }

    /** As {@code future.get(timeoutNanos, NANOSECONDS)}, give or take {@link #SWEEP} on the deadline. */
    static <T> T get(CompletableFuture<T> future, long timeoutNanos)
            throws ExecutionException, InterruptedException, TimeoutException {
        if (future.isDone()) {
            return future.get();
        }
        CompletableFuture<T> bounded = new CompletableFuture<>();
        future.whenComplete((value, error) -> {
            if (error == null) {
                bounded.complete(value);
            } else {
                bounded.completeExceptionally(
                        error instanceof CompletionException && error.getCause() != null ? error.getCause() : error);
            }
        });
        WAITERS.add(new Waiter(bounded, System.nanoTime() + timeoutNanos));
        try {
            return bounded.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Expired) {
                throw new TimeoutException("no answer within " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms");
            }
            throw e;
        }
    }

    /** The sweeper's mark on a wait it ended: never the outcome of the awaited future itself. */
    private static final class Expired extends RuntimeException {
        Expired() {
            super(null, null, false, false);
        }
    }

    /** Never ends: every journal wait's deadline depends on it, so nothing thrown here may stop the loop. */
    private static void sweep() {
        while (true) {
            try {
                LockSupport.parkNanos(SWEEP);
                long now = System.nanoTime();
                for (Iterator<Waiter> it = WAITERS.iterator(); it.hasNext(); ) {
                    Waiter w = it.next();
                    if (w.bounded.isDone()) {
                        it.remove();
                    } else if (now - w.deadline >= 0) {
                        w.bounded.completeExceptionally(new Expired());
                        it.remove();
                    }
                }
            } catch (Throwable e) {
                try {
                    LOG.error("journal wait sweep failed; the next one runs as usual", e);
                } catch (Throwable ignored) {
                    // nothing left to tell it with
                }
            }
        }
    }
}
