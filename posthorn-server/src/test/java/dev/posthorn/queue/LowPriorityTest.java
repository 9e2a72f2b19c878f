package dev.posthorn.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A local delivery worker's thread gets nice 10 and the rest of the process keeps its own: the kernel's view
 * ({@code /proc/thread-self/stat}, field 19), found without an architecture's syscall number.
 */
class LowPriorityTest {

    /** The calling thread's nice value as the kernel reports it (proc(5), /proc/pid/stat field 19). */
    private static int niceOfThisThread() throws Exception {
        String stat = Files.readString(Path.of("/proc/thread-self/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(fields[19 - 3]); // fields after "(comm)" start at field 3
    }

    @Test
    void aLoweredWorkerRunsAtNiceTenAndTheCallerDoesNot() throws Exception {
        Assumptions.assumeTrue(Files.exists(Path.of("/proc/thread-self")), "Linux");
        int callerBefore = niceOfThisThread();
        Assumptions.assumeTrue(callerBefore < LowPriority.NICE, "the tests run below nice 10");
        AtomicReference<Object> seen = new AtomicReference<>();
        Thread worker = Thread.ofPlatform().start(() -> {
            try {
                boolean lowered = LowPriority.lowerCurrentThread();
                seen.set(lowered + " " + niceOfThisThread());
            } catch (Exception e) {
                seen.set(e);
            }
        });
        worker.join();
        assertThat(seen.get()).isEqualTo("true " + LowPriority.NICE);
        assertThat(niceOfThisThread()).as("the calling thread").isEqualTo(callerBefore);
    }
}
