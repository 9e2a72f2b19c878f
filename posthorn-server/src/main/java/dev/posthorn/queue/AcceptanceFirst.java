package dev.posthorn.queue;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoublePredicate;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import java.util.function.ToDoubleFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Acceptance first in a burst: local (Maildir) delivery waits while mail arrives faster than it can be spared
 * CPU for, and catches up when the burst ends. Delivery workers already run at a lower priority
 * ({@link LowPriority}), but the kernel still gives them the gaps between a session's reads, and each copy they
 * make there (a file created, written, renamed, synced) is CPU and disk work the sessions then wait behind.
 *
 * <p>A worker of a local lane holds its jobs while all of these are true:
 * <ul>
 *   <li>it is a burst: at least {@link #BURST} messages entered the queue in the last sample ({@link #SAMPLE}),
 *       that is 640 a second or faster: any message, local or remote, from a session or written by the server
 *       (a notice), since each takes the sessions' and the journal's time alike;</li>
 *   <li>the CPU is scarce: the CPU this server may use, less what delivery workers used themselves, was at least
 *       {@link #BUSY} busy over that sample: the larger of the JDK's {@code getCpuLoad} (the container's quota
 *       where there is one, else the machine's CPUs; it measures since its previous call by anyone, so a JMX
 *       reader polling it shortens the window) and this process's own CPU time over the CPUs it may use (a
 *       cumulative counter, which nothing else can disturb); where neither is known, only the burst counts.
 *       (A window shortened that way can also read high while the server is idle; the burst must hold too, so
 *       nothing is held for it without mail flooding in);</li>
 *   <li>the oldest job of the lane has waited less than the hold limit ({@code delivery.local_hold_seconds}), and
 *       the lane holds less than {@link #HELD_BYTES} of messages (big messages would otherwise outgrow what the
 *       spool keeps in memory and be written to files only to be read back).</li>
 * </ul>
 * A sustained flood is therefore delivered with a lag of the hold limit, never held longer; a few messages a
 * second are never held; and a machine busy with something else delays nothing unless mail floods in too.
 * Nothing here changes what is durable: the messages are in the spool before their {@code 250}, and a crash
 * while they wait delivers them after the restart like any other queued message.
 */
final class AcceptanceFirst {

    private static final Logger LOG = LoggerFactory.getLogger(AcceptanceFirst.class);
    /** How often arrivals and the CPU are sampled; a held worker rechecks twice a sample. */
    static final Duration SAMPLE = Duration.ofMillis(100);
    /** Messages accepted within one sample that make a burst (system property {@code posthorn.delivery.burst}). */
    static final int BURST = burst(System.getProperty("posthorn.delivery.burst"));
    /**
     * The share of the server's CPU (delivery's own excluded) from which delivery gives way: half, so that a
     * machine with CPUs to spare (where delivery slows nothing) never holds (system property
     * {@code posthorn.delivery.busy-share}, from 0 to 1; 0 lets the burst alone decide).
     */
    static final double BUSY = busyShare(System.getProperty("posthorn.delivery.busy-share"));
    /** The most bytes of messages one lane holds back. */
    static final long HELD_BYTES = 32L * 1024 * 1024;

    private final long holdNanos;
    private final DoubleSupplier cpuLoad;
    private final LongSupplier processCpuNanos;
    private final LongSupplier nanoTime;
    private final int cpus;
    /** Counted by every session's thread: an adder, not this object's monitor. */
    private final LongAdder arrivals = new LongAdder();
    private long sampleStart;
    private long processCpuAtStart;
    private long deliveryCpuNanos;
    /** The verdict of the last complete sample. */
    private boolean pressed;

    /** @param hold the longest a job is held (zero: never) */
    AcceptanceFirst(Duration hold) {
        this(hold, cpuLoadOfThisServer(), processCpuTime(), System::nanoTime,
                Runtime.getRuntime().availableProcessors());
    }

    /**
     * @param cpuLoad         the CPU's busy share since its previous call, 0 to 1, negative when not known
     * @param processCpuNanos this process's CPU time so far, negative when not known
     * @param cpus            the CPUs the process may use (delivery's own CPU time is taken out as a share of them)
     */
    AcceptanceFirst(Duration hold, DoubleSupplier cpuLoad, LongSupplier processCpuNanos, LongSupplier nanoTime,
                    int cpus) {
        this.holdNanos = hold.toNanos();
        this.cpuLoad = cpuLoad;
        this.processCpuNanos = processCpuNanos;
        this.nanoTime = nanoTime;
        this.cpus = Math.max(1, cpus);
        this.sampleStart = nanoTime.getAsLong();
        this.processCpuAtStart = processCpuNanos.getAsLong();
        cpuLoad.getAsDouble(); // the first call starts the period the next one measures
    }

    boolean enabled() {
        return holdNanos > 0;
    }

    /**
     * A message entered the queue: one a session accepted, or a notice the server wrote (the burst is judged by
     * what comes in, not by what the queue dispatches, so a restart's replay or a release is no burst).
     */
    void arrived() {
        arrivals.increment();
    }

    /** CPU time a delivery worker used (on its own thread), taken out of the CPU that counts as busy. */
    synchronized void deliveryUsed(long cpuNanos) {
        deliveryCpuNanos += Math.max(0, cpuNanos);
    }

    /**
     * Whether a worker should hold jobs of which the oldest was queued at {@code oldestQueuedNanos} and that
     * add up to {@code heldBytes}.
     */
    synchronized boolean holds(long oldestQueuedNanos, long heldBytes) {
        return pressed() && nanoTime.getAsLong() - oldestQueuedNanos < holdNanos && heldBytes < HELD_BYTES;
    }

    /**
     * Whether it is a burst on a busy CPU, as the last complete sample found (taking a new one when that is over):
     * what holds local delivery back, before the hold limit and the held bytes are looked at.
     */
    synchronized boolean pressed() {
        if (holdNanos <= 0) {
            return false;
        }
        long now = nanoTime.getAsLong();
        if (now - sampleStart >= SAMPLE.toNanos()) {
            sample(now);
        }
        return pressed;
    }

    private void sample(long now) {
        double elapsed = now - sampleStart;
        long processCpu = processCpuNanos.getAsLong();
        double own = processCpu >= 0 && processCpuAtStart >= 0 ? (processCpu - processCpuAtStart) / elapsed / cpus : -1;
        double load = Math.max(known(cpuLoad.getAsDouble()), own);
        double delivery = deliveryCpuNanos / elapsed / cpus;
        boolean busy = BUSY <= 0 || load < 0 || load - delivery >= BUSY;
        long arrivals = this.arrivals.sumThenReset();
        // Judged as a rate: a sample longer than SAMPLE (no worker asked meanwhile) scales the count down.
        boolean flood = arrivals * (double) SAMPLE.toNanos() >= BURST * elapsed;
        boolean was = pressed;
        pressed = flood && busy;
        if (pressed != was) {
            LOG.debug("local delivery {} ({} accepted in {} ms, CPU {})", pressed ? "holds for a burst" : "resumes",
                    arrivals, Math.round(elapsed / 1e6), load);
        }
        sampleStart = now;
        processCpuAtStart = processCpu;
        deliveryCpuNanos = 0;
    }

    private static double known(double load) {
        return Double.isNaN(load) ? -1 : load;
    }

    /** The JDK's CPU load of what this process may use (its container's quota, else the machine), if it has one. */
    static DoubleSupplier cpuLoadOfThisServer() {
        var os = jdkOperatingSystem();
        return os == null ? () -> -1 : os::getCpuLoad;
    }

    /** This process's CPU time so far in nanoseconds, if the JDK has it. */
    static LongSupplier processCpuTime() {
        var os = jdkOperatingSystem();
        return os == null ? () -> -1 : os::getProcessCpuTime;
    }

    private static com.sun.management.OperatingSystemMXBean jdkOperatingSystem() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os : null;
    }

    static int burst(String value) {
        return (int) setting("posthorn.delivery.burst", value, "a whole number from 1", 64, Integer::parseInt,
                n -> n >= 1);
    }

    static double busyShare(String value) {
        return setting("posthorn.delivery.busy-share", value, "a number from 0 to 1", 0.5, Double::parseDouble,
                n -> n >= 0 && n <= 1);
    }

    /** A system property's value when it is {@code rule}; else (warned about) the default. Unset: the default. */
    private static double setting(String name, String value, String rule, double fallback,
                                  ToDoubleFunction<String> parse, DoublePredicate valid) {
        if (value == null) {
            return fallback;
        }
        try {
            double n = parse.applyAsDouble(value.trim());
            if (valid.test(n)) {
                return n;
            }
        } catch (NumberFormatException e) {
            // warned below
        }
        LOG.warn("{}={} is not {}: the default ({}) is used", name, value, rule,
                fallback % 1 == 0 ? Long.toString((long) fallback) : Double.toString(fallback));
        return fallback;
    }
}
