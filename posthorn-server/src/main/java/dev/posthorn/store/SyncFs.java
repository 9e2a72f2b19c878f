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
 * descriptor it needs. Where it is missing (another OS, a libc without it, native access refused) {@link
 * #available()} is false, the callers sync file by file, and the log says so once.
 *
 * <p>Restricted methods: the jar's manifest says {@code Enable-Native-Access: ALL-UNNAMED}; a JVM started
 * otherwise (tests, {@code -cp}) needs {@code --enable-native-access=ALL-UNNAMED} to avoid a warning.
 */
public final class SyncFs {

    private static final Logger LOG = LoggerFactory.getLogger(SyncFs.class);
    /** {@code -Dposthorn.syncfs=false} keeps the per-file fsync (to compare, or on a file system where it is slow). */
    private static final boolean WANTED = Boolean.parseBoolean(System.getProperty("posthorn.syncfs", "true"));
    private static final int O_RDONLY = 0;
    private static final int O_DIRECTORY = 0x10000; // 0200000, asm-generic/fcntl.h (x86-64, aarch64)
    private static final int O_CLOEXEC = 0x80000;   // 02000000
    private static final Native NATIVE = load();

    private SyncFs() {
    }

    private record Native(MethodHandle open, MethodHandle syncfs, MethodHandle close, StructLayout capture,
                          VarHandle errno) {
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

    /** Whether {@link #sync} can be used; when false, sync each file yourself. */
    public static boolean available() {
        return NATIVE != null;
    }

    /**
     * Writes back every dirty file (data and metadata) of the file system that holds {@code anyDirectory} and
     * flushes the device's cache: what an {@code fsync} of each of them would have made durable.
     */
    public static void sync(Path anyDirectory) throws IOException {
        if (NATIVE == null) {
            throw new IOException("syncfs(2) is not available");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(NATIVE.capture());
            MemorySegment path = arena.allocateFrom(anyDirectory.toString());
            int fd = (int) NATIVE.open().invokeExact(state, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (fd < 0) {
                throw new IOException("open " + anyDirectory + " for syncfs: errno " + errno(state));
            }
            try {
                int rc = (int) NATIVE.syncfs().invokeExact(state, fd);
                if (rc != 0) {
                    throw new IOException("syncfs on " + anyDirectory + ": errno " + errno(state));
                }
            } finally {
                int ignored = (int) NATIVE.close().invokeExact(fd);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IOException("syncfs on " + anyDirectory + ": " + e, e);
        }
    }

    private static int errno(MemorySegment state) {
        return (int) NATIVE.errno().get(state, 0L);
    }
}
