package dev.posthorn.spool;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The queue directory where accepted messages wait for delivery: {@code <id>.msg} holds the message as it will
 * be delivered, {@code <id>.env} its envelope. A message exists once its {@code .env} is durable; a
 * {@code .msg} without one is a transaction that never got its {@code 250}.
 */
public final class Spool {

    private final Path directory;
    private final GroupSync directorySync;

    public Spool(Path directory) throws IOException {
        this.directory = Files.createDirectories(directory);
        this.directorySync = new GroupSync(directory);
    }

    public Path directory() {
        return directory;
    }

    /** Opens the file for a new message; the id is known now so the Received: field can name it. */
    public SpoolWriter begin() throws IOException {
        return new SpoolWriter(this, QueueIds.next());
    }

    public Path messageFile(String id) {
        return directory.resolve(id + ".msg");
    }

    public Path envelopeFile(String id) {
        return directory.resolve(id + ".env");
    }

    GroupSync directorySync() {
        return directorySync;
    }

    /** Removes a delivered message: envelope first, so a crash in between leaves only an orphan .msg. */
    public void remove(String id) throws IOException {
        Files.deleteIfExists(envelopeFile(id));
        Files.deleteIfExists(messageFile(id));
    }
}
