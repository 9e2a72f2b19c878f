package dev.posthorn.queue;

import dev.posthorn.spool.Spool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * How {@code posthorn queue retry|delete|hold|release} reaches a running server: a request file in
 * {@code queue/control/} ({@code <token>.request}, the {@link QueueActions.Request} as JSON) that the server
 * carries out within a quarter second and answers with {@code <token>.result} (the {@link QueueActions.Result})
 * or {@code <token>.error}. {@code posthorn queue list|show} ask the same way ({@code <token>.query}, a
 * {@link QueueView.Query}, answered with a {@link QueueView}): the live queue, journal-only messages included. The server has the spool open (it holds {@code spool.lock}); when nobody does, the
 * command opens the queue itself and applies the same {@link QueueActions}.
 */
public final class QueueControl {

    /** An operator action ({@link QueueActions.Request}), answered with a {@link QueueActions.Result}. */
    static final String REQUEST = ".request";
    /** A look at the queue ({@link QueueView.Query}), answered with a {@link QueueView}. */
    static final String QUERY = ".query";
    /** A request file larger than this is refused unread: no command writes one (a bound on what we parse). */
    static final long MAX_REQUEST_BYTES = 64 * 1024;
    /**
     * How long a command waits for the server's answer. A request older than this was given up by its command
     * (which withdrew it, or died): the server drops it unapplied, and drops answers nobody came for.
     */
    public static final Duration WAIT = Duration.ofSeconds(10);

    private QueueControl() {
    }

    public static Path controlDir(Path queueDir) {
        return queueDir.resolve("control");
    }

    /** Whether a server (or another command) has this queue open. */
    public static boolean serverRunning(Path queueDir) throws IOException {
        return Files.isDirectory(queueDir) && Spool.inUse(queueDir);
    }

    /**
     * Leaves the request for the running server and waits for its answer.
     *
     * @throws IOException when the server refused it (the message says why) or did not answer in time; then the
     *                     request is withdrawn when the server had not taken it yet (the message says which)
     */
    public static QueueActions.Result request(Path queueDir, QueueActions.Request request, Duration wait)
            throws IOException, InterruptedException {
        return exchange(queueDir, REQUEST, request, QueueActions.Result.class, wait);
    }

    /**
     * Asks the running server what {@code posthorn queue list} or {@code show} prints, from its live queue (a
     * message in the journal and in memory only has no files yet). Same files, same wait and same stale-request
     * rules as {@link #request}; it changes nothing.
     */
    public static QueueView query(Path queueDir, QueueView.Query query, Duration wait)
            throws IOException, InterruptedException {
        return exchange(queueDir, QUERY, query, QueueView.class, wait);
    }

    private static <T> T exchange(Path queueDir, String suffix, Object question, Class<T> answerType, Duration wait)
            throws IOException, InterruptedException {
        Path control = Files.createDirectories(controlDir(queueDir));
        String token = UUID.randomUUID().toString();
        Path tmp = control.resolve(token + ".tmp");
        Path pending = control.resolve(token + suffix);
        Files.write(tmp, StateFile.JSON.writeValueAsBytes(question));
        Files.move(tmp, pending, StandardCopyOption.ATOMIC_MOVE);
        Path result = control.resolve(token + ".result");
        Path error = control.resolve(token + ".error");
        Instant deadline = Instant.now().plus(wait);
        while (Instant.now().isBefore(deadline)) {
            if (Files.exists(result)) {
                T r = StateFile.JSON.readValue(Files.readAllBytes(result), answerType);
                Files.deleteIfExists(result);
                return r;
            }
            if (Files.exists(error)) {
                String why = Files.readString(error);
                Files.deleteIfExists(error);
                throw new IOException(why);
            }
            Thread.sleep(50);
        }
        // Withdrawn, so that it is never carried out later (say, by the next start) when the operator has been
        // told it failed. The server deletes a request only once it has answered it.
        if (Files.deleteIfExists(pending)) {
            throw new IOException("the server did not answer within " + wait.toSeconds() + " s; the request was "
                    + "withdrawn, nothing was changed");
        }
        throw new IOException("the server took the request but did not answer within " + wait.toSeconds()
                + " s" + (suffix.equals(REQUEST) ? "; it may still be carried out: check with posthorn queue list" : ""));
    }
}
