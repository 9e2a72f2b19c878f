package dev.posthorn.spool;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Free space where the spool writes, against a minimum the operator sets ({@code limits.min_free_disk_mb}):
 * below it the server answers {@code 452 4.3.1 Insufficient system storage} at MAIL and at the end of DATA
 * (RFC 5321 §4.5.3.1.10, RFC 1870 §6.1) instead of taking mail it may fail to store. The file store is
 * looked up once (that scans the mount table); each check is then one statfs, a few microseconds, so the
 * figure is always current: a stale one would let the end of DATA pass just after the disk filled.
 * Thread-safe.
 */
public final class DiskSpace {

    private static final Logger LOG = LoggerFactory.getLogger(DiskSpace.class);

    private final Path directory;
    private final long minimumFree;
    private volatile FileStore store;
    private volatile boolean low;

    /** @param minimumFree bytes that must stay free; 0 turns the check off */
    public DiskSpace(Path directory, long minimumFree) {
        this.directory = directory;
        this.minimumFree = minimumFree;
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
        long free = usableBytes();
        return free - Math.max(0, bytes) >= minimumFree;
    }

    private long usableBytes() {
        long usable;
        try {
            FileStore current = store;
            if (current == null) {
                current = Files.getFileStore(directory);
                store = current;
            }
            usable = current.getUsableSpace();
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
