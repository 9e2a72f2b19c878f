package dev.posthorn.spool;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Free space where the spool writes, against a minimum the operator sets ({@code limits.min_free_disk_mb}):
 * below it the server answers {@code 452 4.3.1 Insufficient system storage} at MAIL and at the end of DATA
 * (RFC 5321 §4.5.3.1.10, RFC 1870 §6.1) instead of taking mail it may fail to store. The file store is
 * looked up once (that scans the mount table); each check is then one statfs, so the figure is current where it
 * matters: within {@link #REUSE_MARGIN} of the minimum every check reads the disk. Far from it a reading up to
 * {@link #REUSE_FOR} old is used again (one statfs per MAIL was 4% of a session's CPU per message, issue 15):
 * to be wrong then, something would have to write a quarter of a gigabyte in a tenth of a second, and even then
 * the message is refused at its end if the write fails, never lost. Thread-safe.
 */
public final class DiskSpace {

    private static final Logger LOG = LoggerFactory.getLogger(DiskSpace.class);

    /** How long a reading far from the minimum is used again. */
    static final Duration REUSE_FOR = Duration.ofMillis(100);
    /** How far above the minimum (with the message's declared size) a reading must be to be used again. */
    static final long REUSE_MARGIN = 256L * 1024 * 1024;

    private final Path directory;
    private final long minimumFree;
    private final LongSupplier nanoTime;
    private final Reader reader;
    private volatile FileStore store;
    private volatile boolean low;
    /** The last reading of the free space, and when it was taken; null until the first. */
    private volatile Reading last;

    private record Reading(long usable, long atNanos) {
    }

    /** Reads the usable bytes of a file store (statfs): tests count the readings. */
    interface Reader {
        long usable(FileStore store) throws IOException;
    }

    /** @param minimumFree bytes that must stay free; 0 turns the check off */
    public DiskSpace(Path directory, long minimumFree) {
        this(directory, minimumFree, System::nanoTime, FileStore::getUsableSpace);
    }

    DiskSpace(Path directory, long minimumFree, LongSupplier nanoTime, Reader reader) {
        this.directory = directory;
        this.minimumFree = minimumFree;
        this.nanoTime = nanoTime;
        this.reader = reader;
    }

    /**
     * True when {@code bytes} more (a declared SIZE, or 0) would still leave the minimum free. When the free
     * space cannot be read the answer is yes: a failing statfs must not stop mail that the write itself may
     * well store, and a write that fails is refused with the same 452.
     */
    public boolean hasRoomFor(long bytes) {
        if (minimumFree <= 0) {
            return true;
        }
        long need = Math.max(0, bytes);
        Reading recent = last;
        // Written so that nothing wraps: usable and need are not negative, and the minimum leaves room for the margin.
        if (recent != null && nanoTime.getAsLong() - recent.atNanos() < REUSE_FOR.toNanos()
                && minimumFree <= Long.MAX_VALUE - REUSE_MARGIN
                && recent.usable() - need >= minimumFree + REUSE_MARGIN) {
            return true;
        }
        long free = usableBytes();
        return free - need >= minimumFree;
    }

    private long usableBytes() {
        long usable;
        try {
            FileStore current = store;
            if (current == null) {
                current = Files.getFileStore(directory);
                store = current;
            }
            long at = nanoTime.getAsLong();
            usable = reader.usable(current);
            keep(new Reading(usable, at));
        } catch (IOException e) {
            LOG.warn("cannot read the free space of {}: {}", directory, e.toString());
            return Long.MAX_VALUE;
        }
        boolean nowLow = usable < minimumFree;
        if (nowLow != low) {
            // One line when the state changes, not one per refused session.
            low = nowLow;
            if (nowLow) {
                LOG.error("free space in {} is {} bytes, under the minimum of {}: new mail gets 452 4.3.1",
                        directory, usable, minimumFree);
            } else {
                LOG.warn("free space in {} is {} bytes again: mail is accepted", directory, usable);
            }
        }
        return usable;
    }

    /** Two checks at once: the newer reading is kept, never one taken before it. */
    private synchronized void keep(Reading reading) {
        Reading kept = last;
        if (kept == null || reading.atNanos() - kept.atNanos() >= 0) {
            last = reading;
        }
    }

    /** Less than this left after a failed write: the failure was the file system being full, whatever it said. */
    static final long NEARLY_FULL_BYTES = 1024 * 1024;

    /**
     * True when a write into {@code directory} failed because its file system is full: the message says so
     * (below), or, since Java gives no errno and the C library's wording follows the locale (LC_MESSAGES), the
     * file system has less than {@link #NEARLY_FULL_BYTES} usable right after the failure. A quota (EDQUOT) is
     * known by its message only.
     */
    public static boolean isOutOfSpace(Throwable failure, Path directory) {
        if (isOutOfSpace(failure)) {
            return true;
        }
        try {
            return Files.getFileStore(directory).getUsableSpace() < NEARLY_FULL_BYTES;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * True when an I/O failure means the file system is full (ENOSPC) or the quota is used up (EDQUOT): Java
     * reports both only in the message, so the causes are searched for the C library's English wording.
     */
    public static boolean isOutOfSpace(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            String text = t instanceof FileSystemException fs && fs.getReason() != null ? fs.getReason() : t.getMessage();
            if (text != null) {
                String lower = text.toLowerCase(Locale.ROOT);
                if (lower.contains("no space left on device") || lower.contains("disk quota exceeded")) {
                    return true;
                }
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }
}
