package dev.posthorn.queue;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Acceptance first: a local delivery worker runs at a higher nice value than the rest of the server, so that
 * in a burst the CPU goes to the sessions and the journal (the {@code 250}s) and the delivery backlog drains
 * in the gaps and after. Linux gives each thread its own nice value: {@code setpriority(PRIO_PROCESS, tid, n)}
 * (setpriority(2), "a thread's nice value"); Java's {@code Thread.setPriority} does nothing there, so it is
 * reached through the FFM API. Raising one's own nice value needs no privilege. Elsewhere it does nothing.
 */
final class LowPriority {

    private static final Logger LOG = LoggerFactory.getLogger(LowPriority.class);
    /** The nice value of local delivery workers (system property {@code posthorn.delivery.nice}; 0 turns it off). */
    static final int NICE = Integer.getInteger("posthorn.delivery.nice", 10);
    private static final int PRIO_PROCESS = 0;
    private static final long SYS_GETTID_X86_64 = 186;
    private static final MethodHandle[] CALLS = load();
    private static final AtomicBoolean FAILURE_LOGGED = new AtomicBoolean();

    private LowPriority() {
    }

    private static MethodHandle[] load() {
        if (NICE == 0 || !System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")
                || !"amd64".equals(System.getProperty("os.arch"))) {
            return null;
        }
        try {
            Linker linker = Linker.nativeLinker();
            var libc = linker.defaultLookup();
            MethodHandle syscall = linker.downcallHandle(libc.find("syscall").orElseThrow(),
                    FunctionDescriptor.of(JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(1));
            MethodHandle setpriority = linker.downcallHandle(libc.find("setpriority").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
            return new MethodHandle[] {syscall, setpriority};
        } catch (RuntimeException | LinkageError e) {
            LOG.warn("delivery workers keep the server's priority: {}", e.toString());
            return null;
        }
    }

    /** Lowers the calling platform thread's priority to {@link #NICE}; true when it did. */
    static boolean lowerCurrentThread() {
        if (CALLS == null) {
            return false;
        }
        try {
            int tid = (int) (long) CALLS[0].invokeExact(SYS_GETTID_X86_64);
            int rc = (int) CALLS[1].invokeExact(PRIO_PROCESS, tid, NICE);
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
