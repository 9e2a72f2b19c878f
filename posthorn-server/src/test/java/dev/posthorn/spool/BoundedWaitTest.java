package dev.posthorn.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** The journal's waits: bounded like {@code get(timeout)}, on virtual threads as on platform threads. */
class BoundedWaitTest {

    @Test
    void aFutureThatNeverCompletesEndsTheWaitAtItsDeadline() throws Exception {
        CompletableFuture<String> never = new CompletableFuture<>();
        long timeout = TimeUnit.MILLISECONDS.toNanos(300);
        CompletableFuture<Long> waited = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            long started = System.nanoTime();
            try {
                BoundedWait.get(never, timeout);
                waited.completeExceptionally(new AssertionError("returned without a value"));
            } catch (TimeoutException e) {
                waited.complete(System.nanoTime() - started);
            } catch (Exception e) {
                waited.completeExceptionally(e);
            }
        });
        long nanos = waited.get(10, TimeUnit.SECONDS);
        assertThat(nanos).isGreaterThanOrEqualTo(timeout);
        assertThat(never).as("the awaited future itself is left alone").isNotDone();
    }

    @Test
    void aValueOrAFailureArrivingInTimeIsWhatTheWaitReturns() throws Exception {
        CompletableFuture<String> later = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            sleep(100);
            later.complete("durable");
        });
        assertThat(BoundedWait.get(later, TimeUnit.SECONDS.toNanos(10))).isEqualTo("durable");

        CompletableFuture<String> failing = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            sleep(100);
            failing.completeExceptionally(new IOException("sync failed"));
        });
        assertThatThrownBy(() -> BoundedWait.get(failing, TimeUnit.SECONDS.toNanos(10)))
                .isInstanceOf(ExecutionException.class).cause().isInstanceOf(IOException.class).hasMessage("sync failed");
    }

    @Test
    void aFailureThroughADependentStageArrivesUnwrapped() {
        CompletableFuture<String> source = new CompletableFuture<>();
        CompletableFuture<String> dependent = source.thenApply(s -> s);
        Thread.ofVirtual().start(() -> {
            sleep(100);
            source.completeExceptionally(new IOException("disk gone"));
        });
        assertThatThrownBy(() -> BoundedWait.get(dependent, TimeUnit.SECONDS.toNanos(10)))
                .isInstanceOf(ExecutionException.class).cause().isInstanceOf(IOException.class).hasMessage("disk gone");
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
