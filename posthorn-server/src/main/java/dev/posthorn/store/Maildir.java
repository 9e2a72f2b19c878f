package dev.posthorn.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One Maildir mailbox ({@code tmp/ new/ cur/}) as Dovecot and mutt read it. A message is written to
 * {@code tmp/}, synced, renamed into {@code new/}, and {@code new/} is synced, so a crash never shows a half
 * message and never loses a delivered one. A batch may write several files unsynced and sync them together
 * ({@link SyncFs}) before any of them is renamed: the order (content durable, then the name) is the same.
 */
public final class Maildir {

    /** Bytes of the body written together with the header; the rest (a bigger message) is copied after. */
    private static final int FIRST_WRITE = 64 * 1024;

    private static final Set<StandardOpenOption> CREATE_WRITE = Set.of(StandardOpenOption.CREATE,
            StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);

    private final Path root;

    public Maildir(Path root) {
        this.root = root.toAbsolutePath(); // so that create() can sync every parent it adds an entry to
    }

    public Path root() {
        return root;
    }

    public Path newDirectory() {
        return root.resolve("new");
    }

    public Path curDirectory() {
        return root.resolve("cur");
    }

    /**
     * Makes the mailbox's directories, each new name durable: a first delivery to a new account (or domain) makes
     * {@code <domain>/<account>/new} and its parents, and every directory that held a new entry is synced, up
     * to the first one that existed before. If a sync fails, the directories just made are removed again, so
     * that the next delivery makes (and syncs) them anew instead of finding them there unsynced.
     */
    public void create() throws IOException {
        for (String sub : new String[] {"tmp", "new", "cur"}) {
            Path dir = root.resolve(sub);
            if (!Files.isDirectory(dir)) {
                List<Path> missing = new ArrayList<>(); // deepest first
                for (Path p = dir; p != null && !Files.isDirectory(p); p = p.getParent()) {
                    missing.add(p);
                }
                Files.createDirectories(dir);
                try {
                    for (Path made : missing) {
                        fsync(made.getParent());
                    }
                } catch (IOException e) {
                    for (Path made : missing) {
                        try {
                            Files.deleteIfExists(made);
                        } catch (IOException notEmpty) {
                            break; // another delivery wrote into it meanwhile: its own sync covers it
                        }
                    }
                    throw e;
                }
            }
        }
    }

    /**
     * Writes the message under {@code name} (unique and stable per queued recipient) into {@code tmp/},
     * {@code header} first, then {@code body}, and syncs it; nothing is visible to a reader yet.
     */
    public void prepare(String name, byte[] header, InputStream body) throws IOException {
        prepare(name, header, body, true);
    }

    /**
     * As {@link #prepare(String, byte[], InputStream)}; with {@code sync} false the file is not synced, and the
     * caller must make it durable (a {@link SyncFs.Descriptor#sync} of the batch, or {@link #force}) before {@link #rename}.
     */
    public void prepare(String name, byte[] header, InputStream body, boolean sync) throws IOException {
        Path temporary = root.resolve("tmp").resolve(name);
        try (FileChannel channel = openTemporary(temporary)) {
            // The header and the first part of the body go in one write(2): a small message is one call.
            byte[] first = body.readNBytes(FIRST_WRITE);
            ByteBuffer[] both = {ByteBuffer.wrap(header), ByteBuffer.wrap(first)};
            while (both[0].hasRemaining() || both[1].hasRemaining()) {
                channel.write(both);
            }
            if (first.length == FIRST_WRITE) {
                body.transferTo(Channels.newOutputStream(channel));
            }
            if (sync) {
                channel.force(true);
            }
        }
    }

    /**
     * Opens a file in {@code tmp/}; the directories are created (and made durable) only when tmp/ is missing, so a
     * delivery to an existing mailbox costs no stat calls (issue 15's profile: three per copy).
     */
    private FileChannel openTemporary(Path temporary) throws IOException {
        try {
            return FileChannel.open(temporary, CREATE_WRITE);
        } catch (NoSuchFileException missing) {
            create();
            return FileChannel.open(temporary, CREATE_WRITE);
        }
    }

    /**
     * Moves a prepared (and already durable) message into {@code new/}; the new name is durable only after a
     * sync of {@code new/} ({@link GroupSync#fsyncDirectory}), which the caller does once for a batch. A missing
     * {@code new/} (removed by hand since the file was prepared) is created again.
     */
    public void rename(String name) throws IOException {
        Path from = root.resolve("tmp").resolve(name);
        Path to = newDirectory().resolve(name);
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (NoSuchFileException missing) {
            if (!Files.exists(from)) {
                throw missing;
            }
            create();
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    /** Makes a prepared (unsynced) message in {@code tmp/} durable with an fsync of its own. */
    public void force(String name) throws IOException {
        try (FileChannel channel = FileChannel.open(root.resolve("tmp").resolve(name), StandardOpenOption.WRITE)) {
            channel.force(true);
        }
    }

    /**
     * Takes a renamed message out of {@code new/} again (its name could not be made durable, so it is not
     * delivered): a repetition of the delivery writes it afresh.
     */
    public void withdraw(String name) throws IOException {
        Files.deleteIfExists(newDirectory().resolve(name));
    }

    /** Drops a prepared message that will not be published. */
    public void discard(String name) throws IOException {
        Files.deleteIfExists(root.resolve("tmp").resolve(name));
    }

    /** True when a message with this base name is in new/ or cur/ (a reader may have added ":2,flags"). */
    public boolean contains(String name) throws IOException {
        if (Files.exists(newDirectory().resolve(name))) {
            return true;
        }
        if (!Files.isDirectory(curDirectory())) {
            return false;
        }
        try (DirectoryStream<Path> cur = Files.newDirectoryStream(curDirectory(), name + "*")) {
            for (Path file : cur) {
                String found = file.getFileName().toString();
                if (found.equals(name) || found.startsWith(name + ":")) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * True when a message whose name contains {@code unique} (Maildir's middle part, e.g. {@code .Q<id>R<n>.})
     * is in new/ or cur/, whatever the host part and flags around it: a host renamed between a delivery and its
     * repetition must not make the mailbox take it twice.
     */
    public boolean containsUnique(String unique) throws IOException {
        for (Path directory : List.of(newDirectory(), curDirectory())) {
            if (!Files.isDirectory(directory)) {
                continue;
            }
            try (DirectoryStream<Path> found = Files.newDirectoryStream(directory, "*" + unique + "*")) {
                for (Path file : found) {
                    if (file.getFileName().toString().contains(unique)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static void fsync(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
