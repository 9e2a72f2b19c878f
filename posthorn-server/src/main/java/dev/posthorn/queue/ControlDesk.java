package dev.posthorn.queue;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's side of {@link QueueControl}: every quarter second it carries out the requests that
 * {@code posthorn queue} left in {@code queue/control/} with {@link QueueActions}, answers its queries with a
 * {@link QueueView} of the live queue, and publishes which recipients
 * are being attempted ({@code queue/control/in-flight}). A request or an answer older than {@link QueueControl#WAIT}
 * was given up by its command: it is dropped, never applied late.
 */
public final class ControlDesk implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ControlDesk.class);

    private final Path control;
    private final QueueStore store;
    private final Set<String> inFlight;
    private final Clock clock;
    private volatile boolean running = true;
    private Thread thread;

    public ControlDesk(Path queueDir, QueueStore store, Set<String> inFlight, Clock clock) {
        this.control = QueueControl.controlDir(queueDir);
        this.store = store;
        this.inFlight = inFlight;
        this.clock = clock;
    }

    public void start() throws IOException {
        Files.createDirectories(control);
        thread = Thread.ofPlatform().daemon().name("queue-control").start(this::loop);
    }

    private void loop() {
        while (running) {
            try {
                applyRequests();
                dropUnclaimedAnswers();
                Thread.sleep(250);
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                LOG.warn("queue control: {}", e.toString());
            } catch (Error e) {
                // Without this the thread would end in silence and every later queue command would time out.
                LOG.error("queue control: {}; queue commands to this server stop answering until it restarts",
                        e.toString());
                throw e;
            }
        }
    }

    private void applyRequests() throws IOException {
        serve(QueueControl.REQUEST, bytes -> {
            QueueActions.Request request = StateFile.JSON.readValue(bytes, QueueActions.Request.class);
            return StateFile.JSON.writeValueAsBytes(QueueActions.apply(store, request, clock));
        });
        // Read-only: what the live queue holds (posthorn queue list|show), journal-only messages included.
        serve(QueueControl.QUERY, bytes -> {
            QueueView.Query query = StateFile.JSON.readValue(bytes, QueueView.Query.class);
            return StateFile.JSON.writeValueAsBytes(QueueView.of(store, inFlight, query));
        });
    }

    private interface Handler {
        byte[] answer(byte[] request) throws IOException;
    }

    private void serve(String suffix, Handler handler) throws IOException {
        try (DirectoryStream<Path> requests = Files.newDirectoryStream(control, "*" + suffix)) {
            for (Path file : requests) {
                String name = file.getFileName().toString();
                String token = name.substring(0, name.length() - suffix.length());
                if (stale(file)) {
                    // Its command stopped waiting (it died, or the server was down): the operator was told it
                    // failed, so carrying it out now (a "delete --all" at the next start) would surprise them.
                    LOG.warn("queue control: request {} is older than {} s, its command gave up: dropped, not applied",
                            file.getFileName(), QueueControl.WAIT.toSeconds());
                    Files.deleteIfExists(file);
                    continue;
                }
                // Taken by a rename first: from then on its command can no longer withdraw it (and says so).
                Path taken = control.resolve(token + ".taken");
                try {
                    Files.move(file, taken, StandardCopyOption.ATOMIC_MOVE);
                } catch (java.nio.file.NoSuchFileException withdrawn) {
                    continue;
                }
                try {
                    if (Files.size(taken) > QueueControl.MAX_REQUEST_BYTES) {
                        throw new IOException("the request is larger than " + QueueControl.MAX_REQUEST_BYTES
                                + " bytes: refused unread");
                    }
                    answer(token + ".result", handler.answer(Files.readAllBytes(taken)));
                } catch (IOException | RuntimeException e) {
                    answer(token + ".error", String.valueOf(e.getMessage()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                }
                Files.deleteIfExists(taken);
            }
        }
    }

    /** Answers and scratch files nobody came for (their command died or timed out). */
    private void dropUnclaimedAnswers() throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(control, "*.{result,error,tmp,taken}")) {
            for (Path file : files) {
                if (stale(file)) {
                    Files.deleteIfExists(file);
                }
            }
        }
    }

    private boolean stale(Path file) throws IOException {
        try {
            return Files.getLastModifiedTime(file).toInstant().isBefore(clock.instant().minus(QueueControl.WAIT));
        } catch (java.nio.file.NoSuchFileException gone) {
            return false;
        }
    }

    private void answer(String name, byte[] bytes) throws IOException {
        Path tmp = control.resolve(name + ".tmp");
        Files.write(tmp, bytes);
        Files.move(tmp, control.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public void close() {
        running = false;
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(1000); // no file of ours is written after close returns
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
