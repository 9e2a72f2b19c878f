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
                process = new ProcessBuilder(inOwnGroup(command)).redirectErrorStream(true)
                        .redirectOutput(output).start();
            } catch (IOException e) {
                throw new IOException(command.get(0) + " is needed by this test and could not be started"
                        + " (./test installs the packages of .ci/packages; on Debian: apt-get install "
                        + command.get(0) + "): " + e.getMessage(), e);
            }
            // Written from another thread: a program that does not read its input must not block us either.
            Thread feeder = Thread.ofVirtual().start(() -> feed(process, stdin));
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                killAll(process);
                process.waitFor(10, TimeUnit.SECONDS);
                throw new IOException(command.get(0) + " did not finish in " + timeoutSeconds + " s; it printed: "
                        + Files.readString(output.toPath(), StandardCharsets.UTF_8));
            }
            feeder.join(TimeUnit.SECONDS.toMillis(5));
            String printed = Files.readString(output.toPath(), StandardCharsets.UTF_8);
            if (process.exitValue() == 127 && printed.startsWith("setsid: failed to execute")) {
                throw new IOException(command.get(0) + " is needed by this test and could not be started"
                        + " (./test installs the packages of .ci/packages; on Debian: apt-get install "
                        + command.get(0) + "): " + printed.strip());
            }
            return new Result(process.exitValue(), printed);
        } finally {
            Files.deleteIfExists(output.toPath());
        }
    }

    /**
     * The program runs as the leader of a process group of its own (util-linux's setsid execs it directly, so
     * its pid is the group's): at the time limit the whole group is killed at once, whatever it forked, even a
     * grandchild whose parent has exited (no longer our descendant) or one forked while we kill.
     */
    private static List<String> inOwnGroup(List<String> command) {
        if (!Files.isExecutable(java.nio.file.Path.of("/usr/bin/setsid"))) {
            return command;
        }
        List<String> wrapped = new java.util.ArrayList<>(command.size() + 1);
        wrapped.add("/usr/bin/setsid");
        wrapped.addAll(command);
        return wrapped;
    }

    private static void killAll(Process process) throws InterruptedException {
        // Descendants first, while the tree still hangs together; then the group, which also holds orphans.
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        try {
            new ProcessBuilder("/bin/kill", "-KILL", "--", "-" + process.pid()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            // No kill(1): the descendants and the process itself are killed all the same.
        }
        process.destroyForcibly();
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
