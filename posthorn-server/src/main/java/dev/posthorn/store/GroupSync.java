package dev.posthorn.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Group commit of directory fsyncs: when several sessions have renamed files into a directory, one fsync of
 * the directory makes all those names durable. A caller returns only after an fsync that started after its
 * request, so no {@code 250} is sent before its message's name is on disk.
 */
public final class GroupSync {

    private static final ConcurrentHashMap<Path, GroupSync> DIRECTORIES = new ConcurrentHashMap<>();

    /** The group sync of a directory, shared by everyone in this process who renames files into it. */
    public static GroupSync of(Path directory) {
        return DIRECTORIES.computeIfAbsent(directory.toAbsolutePath().normalize(), GroupSync::new);
    }

    private final Path directory;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition finished = lock.newCondition();
    private long requested;
    private long completed;
    private boolean syncing;

    GroupSync(Path directory) {
        this.directory = directory;
    }

    /** Returns once a directory fsync that started after this call has completed. */
    public void sync() throws IOException {
        long ticket;
        long target;
        lock.lock();
        try {
            ticket = ++requested;
            while (true) {
                if (completed >= ticket) {
                    return;
                }
                if (!syncing) {
                    syncing = true;
                    target = requested;
                    break;
                }
                finished.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
        boolean ok = false;
        try {
            fsyncDirectory(directory);
            ok = true;
        } finally {
            lock.lock();
            try {
                syncing = false;
                if (ok) {
                    completed = Math.max(completed, target);
                }
                finished.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    public static void fsyncDirectory(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
