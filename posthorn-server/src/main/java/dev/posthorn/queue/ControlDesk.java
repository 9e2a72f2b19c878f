package dev.posthorn.queue;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's side of {@link QueueControl}: every quarter second it carries out the requests that
 * {@code posthorn queue retry|delete} left in {@code queue/control/}, answering each with a {@code .done} or
 * {@code .unknown} file, and publishes which recipients are being tried ({@code queue/control/in-flight}).
 */
final class ControlDesk implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ControlDesk.class);

    private final Path queueDir;
    private final OutboundScheduler scheduler;
    private final Set<String> inFlight;
    private String published = "";
    private volatile boolean running = true;
    private Thread thread;

    ControlDesk(Path queueDir, OutboundScheduler scheduler, Set<String> inFlight) {
        this.queueDir = queueDir;
        this.scheduler = scheduler;
        this.inFlight = inFlight;
    }

    void start() {
        thread = Thread.ofPlatform().daemon().name("outbound-control").start(this::loop);
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

    void applyRequests() throws IOException {
        try (DirectoryStream<Path> requests = Files.newDirectoryStream(QueueControl.controlDir(queueDir), "*.request")) {
            for (Path file : requests) {
                String name = file.getFileName().toString();
                String[] parts = name.substring(0, name.length() - ".request".length()).split("-", 2);
                boolean found = parts.length == 2 && switch (parts[0]) {
                    case "retry" -> {
                        if (parts[1].equals(QueueControl.ALL)) {
                            scheduler.retryAll();
                            yield true;
                        }
                        yield scheduler.retryNow(parts[1]);
                    }
                    case "delete" -> {
                        scheduler.delete(parts[1]);
                        yield scheduler.removeFiles(parts[1]);
                    }
                    default -> false;
                };
                Files.writeString(file.resolveSibling(name.replace(".request", found ? ".done" : ".unknown")), "");
                Files.deleteIfExists(file);
            }
        }
    }

    /** Rewrites {@code in-flight} when the set of recipients being tried has changed (no fsync: it is a view). */
    private void publishInFlight() throws IOException {
        List<String> lines = new ArrayList<>(inFlight);
        lines.sort(null);
        String text = lines.isEmpty() ? "" : String.join("\n", lines) + "\n";
        if (text.equals(published)) {
            return;
        }
        Path control = QueueControl.controlDir(queueDir);
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
