package dev.posthorn.queue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;
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
 *   <li>it is a burst: at least {@code batch} messages for local delivery arrived in the last sample
 *       ({@link #SAMPLE}), that is faster than a full delivery batch every tenth of a second;</li>
 *   <li>the CPU is scarce: the machine's CPU, less what delivery workers used themselves, was at least
 *       {@link #BUSY} busy over that sample (from {@code /proc/stat}; where it cannot be read, only the burst
 *       counts);</li>
 *   <li>the oldest job of the lane has waited less than the hold limit ({@code delivery.local_hold_seconds}), and
 *       the lane holds less than {@link #HELD_BYTES} of messages (big messages would otherwise outgrow what the
 *       spool keeps in memory and be written to files only to be read back).</li>
 * </ul>
 * A sustained flood is therefore delivered with a lag of the hold limit, never held longer; a message or a few
 * are never held (no burst); and a machine busy with something else delays nothing unless mail floods in too.
 * Nothing here changes what is durable: the messages are in the spool before their {@code 250}, and a crash
 * while they wait delivers them after the restart like any other queued message.
 */
final class AcceptanceFirst {

    private static final Logger LOG = LoggerFactory.getLogger(AcceptanceFirst.class);
    /** How often arrivals and the CPU are sampled; also the longest a held worker sleeps between checks. */
    static final Duration SAMPLE = Duration.ofMillis(100);
    /**
     * The share of the machine's CPU (delivery's own excluded) from which delivery gives way: half, so that a
     * machine with CPUs to spare (where delivery slows nothing) never holds (system property
     * {@code posthorn.delivery.busy-share}; 0 lets the burst alone decide).
     */
    static final double BUSY = Double.parseDouble(System.getProperty("posthorn.delivery.busy-share", "0.5"));
    /** The most bytes of messages one lane holds back. */
    static final long HELD_BYTES = 32L * 1024 * 1024;

    /** The machine's CPU time so far, busy and total, in any unit; null where it cannot be read. */
    interface CpuClock {
        long[] busyAndTotal();
    }

    private final long holdNanos;
    private final int burst;
    private final CpuClock cpu;
    private final LongSupplier nanoTime;
    private long sampleStart;
    private long arrivals;
    private long deliveryCpuNanos;
    private long[] cpuAtStart;
    /** The verdict of the last complete sample. */
    private boolean pressed;

    /**
     * @param hold  the longest a job is held (zero: never)
     * @param burst arrivals within one sample that make a burst (the local batch size)
     */
    AcceptanceFirst(Duration hold, int burst) {
        this(hold, burst, ProcStat.machine(), System::nanoTime);
    }

    AcceptanceFirst(Duration hold, int burst, CpuClock cpu, LongSupplier nanoTime) {
        this.holdNanos = hold.toNanos();
        this.burst = Math.max(1, burst);
        this.cpu = cpu;
        this.nanoTime = nanoTime;
        this.sampleStart = nanoTime.getAsLong();
        this.cpuAtStart = cpu.busyAndTotal();
    }

    boolean enabled() {
        return holdNanos > 0;
    }

    /** A message for local delivery arrived. */
    synchronized void arrived() {
        arrivals++;
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
        if (holdNanos <= 0) {
            return false;
        }
        long now = nanoTime.getAsLong();
        if (now - sampleStart >= SAMPLE.toNanos()) {
            sample(now);
        }
        return pressed && now - oldestQueuedNanos < holdNanos && heldBytes < HELD_BYTES;
    }

    private void sample(long now) {
        long elapsed = now - sampleStart;
        long[] cpuNow = cpu.busyAndTotal();
        boolean busy = true;
        if (cpuAtStart != null && cpuNow != null && cpuNow[1] > cpuAtStart[1]) {
            double share = (double) (cpuNow[0] - cpuAtStart[0]) / (cpuNow[1] - cpuAtStart[1]);
            // The total is all CPUs over the sample: delivery's own time as a share of that is per CPU.
            double delivery = (double) deliveryCpuNanos / elapsed / Math.max(1, ProcStat.CPUS);
            busy = BUSY <= 0 || share - delivery >= BUSY;
        }
        // A burst is judged per SAMPLE of time: a longer gap (no worker asked) scales the count down.
        boolean flood = arrivals * SAMPLE.toNanos() >= (long) burst * elapsed;
        boolean was = pressed;
        pressed = flood && busy;
        if (pressed != was) {
            LOG.debug("local delivery {} ({} arrivals in {} ms)", pressed ? "holds for a burst" : "resumes", arrivals,
                    elapsed / 1_000_000);
        }
        sampleStart = now;
        cpuAtStart = cpuNow;
        arrivals = 0;
        deliveryCpuNanos = 0;
    }

    /** {@code /proc/stat}'s first line: the CPU time of all CPUs so far, in clock ticks (Linux). */
    static final class ProcStat implements CpuClock {
        private static final Path FILE = Path.of("/proc/stat");
        /** The CPUs {@code /proc/stat} counts (its "cpuN" lines), which its totals add up over. */
        static final int CPUS = countCpus();
        private static final ProcStat INSTANCE = new ProcStat();

        static CpuClock machine() {
            return INSTANCE;
        }

        private static int countCpus() {
            try {
                List<String> lines = Files.readAllLines(FILE);
                int n = (int) lines.stream().filter(l -> l.matches("cpu\\d+ .*")).count();
                return n > 0 ? n : Runtime.getRuntime().availableProcessors();
            } catch (IOException | RuntimeException e) {
                return Runtime.getRuntime().availableProcessors();
            }
        }

        @Override
        public long[] busyAndTotal() {
            try (var reader = Files.newBufferedReader(FILE)) {
                return parse(reader.readLine());
            } catch (IOException | RuntimeException e) {
                LOG.debug("cannot read {}: {}", FILE, e.toString());
                return null;
            }
        }

        /** "cpu user nice system idle iowait irq softirq steal ...": idle and iowait are not busy. */
        static long[] parse(String line) {
            if (line == null || !line.startsWith("cpu ")) {
                return null;
            }
            String[] f = line.trim().split("\\s+");
            long busy = 0;
            long total = 0;
            for (int i = 1; i < f.length && i <= 8; i++) {
                long v = Long.parseLong(f[i]);
                total += v;
                if (i != 4 && i != 5) {
                    busy += v;
                }
            }
            return new long[] {busy, total};
        }
    }
}
