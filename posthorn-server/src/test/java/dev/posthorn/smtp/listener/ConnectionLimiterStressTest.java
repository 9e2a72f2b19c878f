package dev.posthorn.smtp.listener;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The connection limits are exact however many threads admit and release at once (issue 10): the old limiter
 * incremented a per-address counter after {@code computeIfAbsent} returned it, so a release that removed the
 * counter in between lost the increment, and that address was then admitted beyond its limit.
 */
class ConnectionLimiterStressTest {

    private static final int THREADS = 16;
    private static final int ROUNDS = 200_000;

    @Test
    void neitherLimitIsEverExceededAndEverythingIsReleasedAtTheEnd() throws Exception {
        int maxTotal = 3;
        int maxPerAddress = 1;
        ConnectionLimiter limiter = new ConnectionLimiter(maxTotal, maxPerAddress);
        InetAddress[] addresses = {InetAddress.getByName("127.0.0.1"), InetAddress.getByName("127.0.0.2"),
                InetAddress.getByName("127.0.0.3"), InetAddress.getByName("127.0.0.4")};
        // Our own count of who is inside, kept beside the limiter's: what the limits promise is about this.
        AtomicInteger[] inside = {new AtomicInteger(), new AtomicInteger(), new AtomicInteger(), new AtomicInteger()};
        AtomicInteger insideTotal = new AtomicInteger();
        AtomicInteger worstPerAddress = new AtomicInteger();
        AtomicInteger worstTotal = new AtomicInteger();
        AtomicInteger admissions = new AtomicInteger();
        CyclicBarrier start = new CyclicBarrier(THREADS);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int seed = t;
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                for (int i = 0; i < ROUNDS; i++) {
                    int a = (seed + i) % addresses.length;
                    if (limiter.admit(addresses[a]) != ConnectionLimiter.Admission.ADMITTED) {
                        continue;
                    }
                    admissions.incrementAndGet();
                    worstPerAddress.accumulateAndGet(inside[a].incrementAndGet(), Math::max);
                    worstTotal.accumulateAndGet(insideTotal.incrementAndGet(), Math::max);
                    holdBriefly();
                    inside[a].decrementAndGet();
                    insideTotal.decrementAndGet();
                    limiter.release(addresses[a]);
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(admissions.get()).as("the test exercised admissions").isGreaterThan(THREADS * ROUNDS / 100);
        assertThat(worstPerAddress.get()).isLessThanOrEqualTo(maxPerAddress);
        assertThat(worstTotal.get()).isLessThanOrEqualTo(maxTotal);
        // Nothing left over: every address may again open exactly its limit, and the total is free again.
        for (InetAddress address : addresses) {
            assertThat(limiter.connectionsFrom(address)).isZero();
        }
        assertThat(limiter.connections()).isZero();
        assertThat(limiter.admit(addresses[0])).isEqualTo(ConnectionLimiter.Admission.ADMITTED);
        assertThat(limiter.admit(addresses[0])).isEqualTo(ConnectionLimiter.Admission.TOO_MANY_FROM_ADDRESS);
    }

    /** A few microseconds inside, so that one admitted beyond the limit is likely to meet another. */
    private static void holdBriefly() {
        long until = System.nanoTime() + 2_000;
        while (System.nanoTime() < until) {
            Thread.onSpinWait();
        }
    }

    @Test
    void exactlyTheLimitIsAdmittedWhenManyArriveAtOnce() throws Exception {
        ConnectionLimiter limiter = new ConnectionLimiter(10, 3);
        InetAddress one = InetAddress.getByName("127.0.0.9");
        AtomicInteger admitted = new AtomicInteger();
        AtomicInteger refusedForAddress = new AtomicInteger();
        CyclicBarrier start = new CyclicBarrier(THREADS);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                switch (limiter.admit(one)) {
                    case ADMITTED -> admitted.incrementAndGet();
                    case TOO_MANY_FROM_ADDRESS -> refusedForAddress.incrementAndGet();
                    case TOO_MANY -> { }
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(admitted.get()).isEqualTo(3);
        // A refusal for the address never holds a place in the total: 7 more from elsewhere still fit.
        assertThat(refusedForAddress.get()).isEqualTo(THREADS - 3);
        assertThat(limiter.connections()).isEqualTo(3);
    }
}
