package dev.posthorn.testing;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a real client program (swaks, python3, openssl) with a time limit and captures what it printed. The
 * limit holds whatever the program does: its output goes to a file rather than a pipe read to the end (which
 * would wait for the program, or for any child still holding the pipe, before the limit was even looked at),
 * and on time-out the program and its children are killed.
 */
public final class ExternalTool {

    public record Result(int exitCode, String output) {
    }

    private ExternalTool() {
    }

    public static Result run(List<String> command, int timeoutSeconds) throws IOException, InterruptedException {
        return run(command, null, timeoutSeconds);
    }

    public static Result run(List<String> command, String stdin, int timeoutSeconds)
            throws IOException, InterruptedException {
        File output = Files.createTempFile("posthorn-tool-", ".out").toFile();
        try {
            Process process;
            try {
                process = new ProcessBuilder(command).redirectErrorStream(true)
                        .redirectOutput(output).start();
            } catch (IOException e) {
                throw new IOException(command.get(0) + " is needed by this test and could not be started"
                        + " (./test installs the packages of .ci/packages; on Debian: apt-get install "
                        + command.get(0) + "): " + e.getMessage(), e);
            }
            // Written from another thread: a program that does not read its input must not block us either.
            Thread feeder = Thread.ofVirtual().start(() -> feed(process, stdin));
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
                throw new IOException(command.get(0) + " did not finish in " + timeoutSeconds + " s; it printed: "
                        + Files.readString(output.toPath(), StandardCharsets.UTF_8));
            }
            feeder.join(TimeUnit.SECONDS.toMillis(5));
            return new Result(process.exitValue(), Files.readString(output.toPath(), StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(output.toPath());
        }
    }

    private static void feed(Process process, String stdin) {
        try (OutputStream in = process.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException ignored) {
            // The program exited or closed its input: what it did not read, it did not want.
        }
    }
}
