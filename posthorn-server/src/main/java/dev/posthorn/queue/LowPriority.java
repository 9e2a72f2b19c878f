package dev.posthorn.queue;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Acceptance first: a local delivery worker runs at a higher nice value than the rest of the server, so that
 * in a burst the CPU goes to the sessions and the journal (the {@code 250}s) and the delivery backlog drains
 * in the gaps and after. Linux gives each thread its own nice value: {@code setpriority(PRIO_PROCESS, tid, n)}
 * (setpriority(2), "a thread's nice value"); Java's {@code Thread.setPriority} does nothing there, so it is
 * reached through the FFM API, with the thread's id from {@code /proc/thread-self} (any architecture). Raising
 * one's own nice value needs no privilege. Elsewhere (not Linux, native access refused) it does nothing and the
 * workers run at the server's priority. Threads a lowered worker starts inherit its nice value, so the worker
 * starts none that serve the rest of the server (the scheduler's completions run on a thread started at its
 * construction).
 */
final class LowPriority {

    private static final Logger LOG = LoggerFactory.getLogger(LowPriority.class);
    /** The nice value of local delivery workers (system property {@code posthorn.delivery.nice}; 0 turns it off). */
    static final int NICE = Integer.getInteger("posthorn.delivery.nice", 10);
    private static final int PRIO_PROCESS = 0;
    private static final MethodHandle[] CALLS = load();
    private static final AtomicBoolean FAILURE_LOGGED = new AtomicBoolean();

    private LowPriority() {
    }

    private static MethodHandle[] load() {
        if (NICE == 0 || !System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return null;
        }
        try {
            Linker linker = Linker.nativeLinker();
            var libc = linker.defaultLookup();
            MethodHandle setpriority = linker.downcallHandle(libc.find("setpriority").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
            return new MethodHandle[] {setpriority};
        } catch (RuntimeException | LinkageError e) {
            LOG.warn("delivery workers keep the server's priority: {}", e.toString());
            return null;
        }
    }

    /**
     * The calling thread's kernel id, from {@code /proc/thread-self} ("pid/task/tid", Linux 3.17): the same on
     * every architecture, where gettid's syscall number is not (186 on x86-64, 178 on arm64).
     */
    static int threadId() throws IOException {
        Path link = Files.readSymbolicLink(Path.of("/proc/thread-self"));
        return Integer.parseInt(link.getFileName().toString());
    }

    /** Lowers the calling platform thread's priority to {@link #NICE}; true when it did. */
    static boolean lowerCurrentThread() {
        if (CALLS == null) {
            return false;
        }
        try {
            int tid = threadId();
            int rc = (int) CALLS[0].invokeExact(PRIO_PROCESS, tid, NICE);
            if (rc == 0) {
                return true;
            }
        } catch (Throwable e) {
            if (FAILURE_LOGGED.compareAndSet(false, true)) {
                LOG.warn("cannot lower the priority of delivery workers: {}", e.toString());
            }
            return false;
        }
        if (FAILURE_LOGGED.compareAndSet(false, true)) {
            LOG.warn("cannot lower the priority of delivery workers (setpriority failed)");
        }
        return false;
    }
}
