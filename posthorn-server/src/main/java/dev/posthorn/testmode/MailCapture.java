package dev.posthorn.testmode;

import dev.posthorn.server.CaptureSink;
import dev.posthorn.spool.Envelope;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every message accepted in test mode, in memory (and, when a directory is given, also written there as
 * {@code <id>.eml}), in the order the {@code 250}s were given. Tests wait on it with a query and a time-out.
 */
public final class MailCapture implements CaptureSink {

    private static final Logger LOG = LoggerFactory.getLogger(MailCapture.class);

    private final List<CapturedMessage> messages = new ArrayList<>();
    private final Path directory;

    /** @param directory where to keep a copy of each message as a file; null: memory only */
    public MailCapture(Path directory) {
        this.directory = directory;
    }

    public MailCapture() {
        this(null);
    }

    @Override
    public void accepted(Envelope envelope, byte[] content) {
        CapturedMessage message = new CapturedMessage(envelope, content);
        if (directory != null) {
            try {
                Files.createDirectories(directory);
                Files.write(directory.resolve(envelope.id() + ".eml"), content);
            } catch (IOException e) {
                LOG.warn("capture: cannot write {} to {}: {}", envelope.id(), directory, e.toString());
            }
        }
        synchronized (messages) {
            messages.add(message);
            messages.notifyAll();
        }
    }

    public List<CapturedMessage> messages() {
        synchronized (messages) {
            return List.copyOf(messages);
        }
    }

    public List<CapturedMessage> messages(Predicate<? super CapturedMessage> query) {
        return messages().stream().filter(query).map(m -> (CapturedMessage) m).toList();
    }

    public Optional<CapturedMessage> byId(String id) {
        return messages().stream().filter(m -> m.id().equals(id)).findFirst();
    }

    /** Forgets every message (the files in the directory stay). */
    public void clear() {
        synchronized (messages) {
            messages.clear();
        }
    }

    /**
     * Waits until at least {@code count} messages match the query, at most {@code timeout}; returns the matching
     * messages then, or as many as there were when the time ran out (the caller says what it expected).
     */
    public List<CapturedMessage> await(Predicate<? super CapturedMessage> query, int count, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (messages) {
            while (true) {
                List<CapturedMessage> matching = messages.stream().filter(query).map(m -> (CapturedMessage) m).toList();
                long left = deadline - System.nanoTime();
                if (matching.size() >= count || left <= 0) {
                    return matching;
                }
                java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(messages, left);
            }
        }
    }
}
