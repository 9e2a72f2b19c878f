package dev.posthorn.store;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code syncfs(2)} (Linux): one call writes back every dirty file of a file system and flushes the device,
 * so a batch of Maildir files costs one flush instead of one {@code fsync} each. Java has no API for it; it is
 * reached through the FFM API ({@code java.lang.foreign}, final since Java 22), with {@code open(2)} for the
 * descriptor it needs.
 *
 * <p>Error reporting: since Linux 5.8 {@code syncfs} returns a writeback error of the file system that happened
 * after its descriptor was opened (the superblock's error sequence is sampled at open), and before 5.8 it never
 * reports one. So a caller {@link #open}s a {@link Descriptor} <em>before</em> it writes the files it will sync,
 * and on a kernel older than 5.8 (or another OS, a libc without it, native access refused) {@link #usable()} is
 * false and the callers fsync file by file. If opening or syncing fails with ENOSYS, EPERM or EINVAL (a kernel,
 * seccomp filter or file system that refuses it) the process stops using it ({@link Unavailable}; logged once):
 * a failing syncfs must not defer mail forever.
 *
 * <p>Restricted methods: the jar's manifest says {@code Enable-Native-Access: ALL-UNNAMED}; a JVM started
 * otherwise (tests, {@code -cp}) needs {@code --enable-native-access=ALL-UNNAMED} to avoid a warning.
 */
public final class SyncFs {

    private static final Logger LOG = LoggerFactory.getLogger(SyncFs.class);
    /** {@code -Dposthorn.syncfs=false} keeps the per-file fsync (to compare, or on a file system where it is slow). */
    private static final boolean WANTED = Boolean.parseBoolean(System.getProperty("posthorn.syncfs", "true"));
    /**
     * Test only: {@code -Dposthorn.syncfs.simulate-errno=N} makes {@link Descriptor#sync} fail as if syncfs(2)
     * had returned errno N, to exercise the fallback. Read at each call, so a test can set and clear it.
     */
    public static final String SIMULATE_ERRNO = "posthorn.syncfs.simulate-errno";
    // No O_DIRECTORY: its value differs between architectures (0200000 is O_DIRECT on arm64) and syncfs needs
    // none. O_RDONLY and O_CLOEXEC (02000000) are the same in asm-generic and on x86-64.
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 0x80000;
    // asm-generic/errno-base.h and errno.h: the same on x86-64 and arm64.
    private static final int EPERM = 1;
    private static final int EINVAL = 22;
    private static final int ENOSYS = 38;
    private static final Native NATIVE = load();
    private static volatile boolean switchedOff;

    private SyncFs() {
    }

    private record Native(MethodHandle open, MethodHandle syncfs, MethodHandle close, StructLayout capture,
                          VarHandle errno) {
    }

    /** A failure that means syncfs cannot be used here at all (ENOSYS, EPERM, EINVAL): it is now switched off. */
    public static final class Unavailable extends IOException {
        Unavailable(String message) {
            super(message);
        }
    }

    private static Native load() {
        if (!WANTED) {
            LOG.info("syncfs(2) turned off (posthorn.syncfs=false): Maildir files are synced one by one");
            return null;
        }
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            LOG.info("syncfs(2) is Linux only: Maildir files are synced one by one");
            return null;
        }
        if (!reportsErrors(System.getProperty("os.version", ""))) {
            LOG.info("Linux {} is older than 5.8, whose syncfs(2) does not report writeback errors: Maildir files"
                    + " are synced one by one", System.getProperty("os.version"));
            return null;
        }
        try {
            Linker linker = Linker.nativeLinker();
            var libc = linker.defaultLookup();
            StructLayout capture = Linker.Option.captureStateLayout();
            Linker.Option errno = Linker.Option.captureCallState("errno");
            // open(2) is variadic; the mode argument is only read with O_CREAT, so none is passed.
            MethodHandle open = linker.downcallHandle(libc.find("open").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), errno, Linker.Option.firstVariadicArg(2));
            MethodHandle syncfs = linker.downcallHandle(libc.find("syncfs").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT, JAVA_INT), errno);
            MethodHandle close = linker.downcallHandle(libc.find("close").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT, JAVA_INT));
            return new Native(open, syncfs, close, capture,
                    capture.varHandle(MemoryLayout.PathElement.groupElement("errno")));
        } catch (RuntimeException | LinkageError e) {
            LOG.warn("syncfs(2) is not available ({}): Maildir files are synced one by one", e.toString());
            return null;
        }
    }

    /** Whether a kernel release ("6.1.0-13-amd64") is 5.8 or later, whose syncfs reports writeback errors. */
    static boolean reportsErrors(String release) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(\\d+)\\.(\\d+)").matcher(release);
        if (!m.find()) {
            return false;
        }
        int major = Integer.parseInt(m.group(1));
        int minor = Integer.parseInt(m.group(2));
        return major > 5 || major == 5 && minor >= 8;
    }

    /** Whether {@link #open} can be used now; when false, fsync each file yourself. */
    public static boolean usable() {
        return NATIVE != null && !switchedOff;
    }

    /** Tests only: forgets a switch-off ({@link #SIMULATE_ERRNO}), so later tests in the JVM use syncfs again. */
    public static void forgetSwitchOff() {
        switchedOff = false;
    }

    private static Unavailable switchOff(String what, int errno) {
        if (!switchedOff) {
            switchedOff = true;
            LOG.warn("{} failed with errno {}: syncfs(2) is not used any more by this process, Maildir files are"
                    + " synced one by one", what, errno);
        }
        return new Unavailable(what + ": errno " + errno);
    }

    private static IOException failure(String what, int errno) {
        return errno == ENOSYS || errno == EPERM || errno == EINVAL
                ? switchOff(what, errno) : new IOException(what + ": errno " + errno);
    }

    /**
     * Opens a descriptor on the file system that holds {@code anyDirectory}; open it before writing the files
     * its {@link Descriptor#sync} must cover (see the class comment), and close it after.
     */
    public static Descriptor open(Path anyDirectory) throws IOException {
        if (!usable()) {
            throw new IOException("syncfs(2) is not in use");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(NATIVE.capture());
            MemorySegment path = arena.allocateFrom(anyDirectory.toString());
            int fd = (int) NATIVE.open().invokeExact(state, path, O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                throw failure("open " + anyDirectory + " for syncfs", errno(state));
            }
            return new Descriptor(fd, anyDirectory);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IOException("open " + anyDirectory + " for syncfs: " + e, e);
        }
    }

    /** A descriptor held from before a batch's first write to its file system until the batch's sync. */
    public static final class Descriptor implements java.io.Closeable {
        private final int fd;
        private final Path path;
        private boolean closed;

        private Descriptor(int fd, Path path) {
            this.fd = fd;
            this.path = path;
        }

        /**
         * Writes back every dirty file (data and metadata) of the file system and flushes the device's cache:
         * what an {@code fsync} of each of them would have made durable; throws if a writeback error happened
         * since this descriptor was opened.
         */
        public void sync() throws IOException {
            Integer simulated = Integer.getInteger(SIMULATE_ERRNO);
            if (simulated != null) {
                throw failure("syncfs on " + path + " (simulated)", simulated);
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment state = arena.allocate(NATIVE.capture());
                int rc = (int) NATIVE.syncfs().invokeExact(state, fd);
                if (rc != 0) {
                    throw failure("syncfs on " + path, errno(state));
                }
            } catch (IOException | RuntimeException | Error e) {
                throw e;
            } catch (Throwable e) {
                throw new IOException("syncfs on " + path + ": " + e, e);
            }
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            try {
                int ignored = (int) NATIVE.close().invokeExact(fd);
            } catch (Throwable e) {
                LOG.warn("close of the syncfs descriptor of {}: {}", path, e.toString());
            }
        }
    }

    private static int errno(MemorySegment state) {
        return (int) NATIVE.errno().get(state, 0L);
    }
}
