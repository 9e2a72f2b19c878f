package dev.posthorn.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Posthorn in a separate JVM ({@code posthorn serve} with flags), so a test can kill it with SIGKILL and
 * start it again on the same data directory.
 */
public final class ServerProcess implements AutoCloseable {

    private final Process process;
    private final int port;

    private ServerProcess(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    public static ServerProcess start(Path dataDir, int mxPort, Path log, String... extraArgs) throws IOException {
        return start(List.of(), List.of(), dataDir, mxPort, log, extraArgs);
    }

    /** As {@link #start}, with JVM options (a test-only system property, {@code -Dname=value}). */
    public static ServerProcess startWithJvmOptions(List<String> jvmOptions, Path dataDir, int mxPort, Path log,
            String... extraArgs) throws IOException {
        return start(List.of(), jvmOptions, dataDir, mxPort, log, extraArgs);
    }

    /**
     * As {@link #start}, with the server's open files limited to {@code maxOpenFiles} ({@code ulimit -n}), so a
     * test can make it run out of file descriptors for real.
     */
    public static ServerProcess startWithOpenFileLimit(int maxOpenFiles, Path dataDir, int mxPort, Path log,
            String... extraArgs) throws IOException {
        return start(List.of("/bin/sh", "-c", "ulimit -n " + maxOpenFiles + " && exec \"$@\"", "sh"), List.of(), dataDir,
                mxPort, log, extraArgs);
    }

    private static ServerProcess start(List<String> prefix, List<String> jvmOptions, Path dataDir, int mxPort,
            Path log, String... extraArgs) throws IOException {
        List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of(
                ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED")); // as the jar's manifest says (syncfs, setpriority via FFM)
        command.addAll(jvmOptions);
        command.addAll(List.of(
                "-cp", System.getProperty("java.class.path"),
                "dev.posthorn.cli.Main", "serve",
                "--data-dir", dataDir.toString(), "--hostname", "crash.posthorn.test",
                "--domain", "localhost", "--mx-port", String.valueOf(mxPort),
                "--submission-port", "0", "--smtps-port", "0"));
        if (!List.of(extraArgs).contains("--web-port")) {
            command.addAll(List.of("--web-port", "0"));
        }
        command.addAll(List.of(extraArgs));
        if (!command.contains("--config")) {
            // Tests never ask the Internet's DNS: mail authentication's checks stay off here (MailAuthMxTest
            // runs them against its own DNS server).
            Path config = dataDir.resolveSibling(dataDir.getFileName() + "-mailauth-off.toml");
            java.nio.file.Files.writeString(config, "[mailauth]\nenabled = false\n");
            command.addAll(List.of("--config", config.toString()));
        }
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().put("POSTHORN_TEST_LOG", "info");
        Process process = builder.start();
        ServerProcess server = new ServerProcess(process, mxPort);
        try {
            server.awaitListening();
        } catch (IOException | RuntimeException e) {
            // A server that was slow to start would otherwise outlive the test, load the machine and answer on
            // ports that later tests are given.
            process.destroyForcibly();
            throw e;
        }
        return server;
    }

    private void awaitListening() throws IOException {
        // A wait for a condition, not a measure: a JVM started while other builds share the two cores took more
        // than 30 s to listen in a full run (load average over 30), so the cap is generous.
        long deadline = System.currentTimeMillis() + 90_000;
        while (System.currentTimeMillis() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("server exited with " + process.exitValue());
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                sleep(50);
            }
        }
        throw new IOException("server did not listen on " + port + " within 90 s");
    }

    /** SIGKILL: no shutdown hook, no flush, nothing. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
