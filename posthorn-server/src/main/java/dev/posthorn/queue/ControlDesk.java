package dev.posthorn.queue;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's side of {@link QueueControl}: every quarter second it carries out the requests that
 * {@code posthorn queue} left in {@code queue/control/} with {@link QueueActions}, and publishes which recipients
 * are being attempted ({@code queue/control/in-flight}).
 */
public final class ControlDesk implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ControlDesk.class);

    private final Path control;
    private final QueueStore store;
    private final Set<String> inFlight;
    private final Clock clock;
    private String published = "";
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
                publishInFlight();
                Thread.sleep(250);
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                LOG.warn("queue control: {}", e.toString());
            }
        }
    }

    private void applyRequests() throws IOException {
        try (DirectoryStream<Path> requests = Files.newDirectoryStream(control, "*.request")) {
            for (Path file : requests) {
                String token = file.getFileName().toString().replace(".request", "");
                try {
                    QueueActions.Request request = StateFile.JSON.readValue(Files.readAllBytes(file),
                            QueueActions.Request.class);
                    QueueActions.Result result = QueueActions.apply(store, request, clock);
                    answer(token + ".result", StateFile.JSON.writeValueAsBytes(result));
                } catch (IOException | RuntimeException e) {
                    answer(token + ".error", String.valueOf(e.getMessage()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                }
                Files.deleteIfExists(file);
            }
        }
    }

    private void answer(String name, byte[] bytes) throws IOException {
        Path tmp = control.resolve(name + ".tmp");
        Files.write(tmp, bytes);
        Files.move(tmp, control.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Rewrites {@code in-flight} when the set of recipients being tried has changed (no fsync: it is a view). */
    private void publishInFlight() throws IOException {
        List<String> lines = new ArrayList<>(inFlight);
        lines.sort(null);
        String text = lines.isEmpty() ? "" : String.join("\n", lines) + "\n";
        if (text.equals(published)) {
            return;
        }
        Path tmp = control.resolve(QueueControl.IN_FLIGHT_FILE + ".tmp");
        Files.writeString(tmp, text);
        Files.move(tmp, control.resolve(QueueControl.IN_FLIGHT_FILE), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
        published = text;
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
