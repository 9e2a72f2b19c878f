package dev.posthorn.queue;

import dev.posthorn.spool.EnvelopeCodec;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A message the queue cannot load because its envelope or its state cannot be read. It is set aside: kept in
 * place, never attempted and never bounced (its state is unknown: rebuilding it as "all queued" could deliver
 * again what was delivered), logged loudly at every start and listed by {@code posthorn queue list}, until an
 * operator repairs or deletes it.
 *
 * @param reason what could not be read, and why
 */
public record SetAside(String id, String reason) {

    /** The messages of this queue directory that cannot be loaded, by id. */
    public static List<SetAside> scan(Path queueDir) throws IOException {
        List<SetAside> found = new ArrayList<>();
        if (!Files.isDirectory(queueDir)) {
            return found;
        }
        List<Path> envelopes = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(queueDir, "*.env")) {
            stream.forEach(envelopes::add);
        }
        envelopes.sort(null);
        for (Path file : envelopes) {
            String name = file.getFileName().toString();
            SetAside s = check(queueDir, name.substring(0, name.length() - ".env".length()));
            if (s != null) {
                found.add(s);
            }
        }
        return found;
    }

    /** Null when the message's envelope and state can be read (or it is gone meanwhile). */
    static SetAside check(Path queueDir, String id) {
        try {
            EnvelopeCodec.read(queueDir.resolve(id + ".env"));
        } catch (IOException e) {
            return Files.exists(queueDir.resolve(id + ".env")) ? new SetAside(id, "envelope unreadable: " + firstLine(e)) : null;
        }
        try {
            StateFile.read(queueDir, id);
        } catch (IOException e) {
            return new SetAside(id, "state unreadable: " + firstLine(e));
        }
        return null;
    }

    /** A parser's message goes on with the source location on later lines: one line for a listing. */
    private static String firstLine(Exception e) {
        return e.toString().lines().findFirst().orElse("");
    }
}
