package dev.posthorn.queue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;

/**
 * How {@code posthorn queue retry|delete} reaches a running server: a request file in {@code queue/control/}
 * that the scheduler picks up within a second and answers with a {@code .done} or {@code .unknown} file. A
 * server holds {@code queue/control/scheduler.lock} while it runs; when nobody holds it, the command edits
 * the queue files itself.
 */
public final class QueueControl {

    static final String LOCK_FILE = "scheduler.lock";
    static final String IN_FLIGHT_FILE = "in-flight";
    public static final String ALL = "ALL";

    /** What became of a request. */
    public enum Result { DONE, UNKNOWN_ID, NO_ANSWER }

    private QueueControl() {
    }

    public static Path controlDir(Path queueDir) {
        return queueDir.resolve("control");
    }

    /** Whether a server is running on this queue (it holds the lock). */
    public static boolean serverRunning(Path queueDir) throws IOException {
        Path control = controlDir(queueDir);
        if (!Files.isDirectory(control)) {
            return false;
        }
        try (FileChannel ch = FileChannel.open(control.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            FileLock lock = ch.tryLock();
            if (lock == null) {
                return true;
            }
            lock.release();
            return false;
        } catch (OverlappingFileLockException e) {
            return true; // Held by this very process (a test running server and command together).
        }
    }

    /** "id address" of the recipients a running server is trying right now (refreshed every quarter second). */
    public static java.util.Set<String> inFlight(Path queueDir) throws IOException {
        Path file = controlDir(queueDir).resolve(IN_FLIGHT_FILE);
        if (!serverRunning(queueDir) || !Files.exists(file)) {
            return java.util.Set.of();
        }
        java.util.Set<String> set = new java.util.HashSet<>();
        for (String line : Files.readAllLines(file)) {
            set.add(line.toLowerCase(java.util.Locale.ROOT));
        }
        return set;
    }

    /** Leaves "retry-ID" or "delete-ID" for the running server and waits for its answer. */
    public static Result request(Path queueDir, String verb, String id, Duration wait) throws IOException, InterruptedException {
        Path control = controlDir(queueDir);
        Files.createDirectories(control);
        String base = verb + "-" + id;
        Path done = control.resolve(base + ".done");
        Path unknown = control.resolve(base + ".unknown");
        Files.deleteIfExists(done);
        Files.deleteIfExists(unknown);
        Path tmp = control.resolve(base + ".tmp");
        Files.writeString(tmp, "");
        Files.move(tmp, control.resolve(base + ".request"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        Instant deadline = Instant.now().plus(wait);
        while (Instant.now().isBefore(deadline)) {
            if (Files.deleteIfExists(done)) {
                return Result.DONE;
            }
            if (Files.deleteIfExists(unknown)) {
                return Result.UNKNOWN_ID;
            }
            Thread.sleep(50);
        }
        return Result.NO_ANSWER;
    }
}
