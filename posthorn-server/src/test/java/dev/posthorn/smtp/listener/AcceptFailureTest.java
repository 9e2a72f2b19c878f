package dev.posthorn.smtp.listener;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.testing.RunningServer;
import dev.posthorn.testing.ServerProcess;
import dev.posthorn.testing.SmtpWire;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server out of file descriptors for real (a child JVM under {@code ulimit -n}): {@code accept} fails every
 * time while the connections last. The accept loop must back off instead of spinning, log the failure once
 * rather than once per attempt, and accept again as soon as descriptors are free (issue 10).
 */
class AcceptFailureTest {

    private static final Pattern ATTEMPTS = Pattern.compile("\\((\\d+) failed attempt|\\((\\d+) failure\\(s\\)");

    @Test
    void runningOutOfDescriptorsBacksOffLogsOnceAndRecovers(@TempDir Path dir) throws Exception {
        int port = RunningServer.freePort();
        Path log = dir.resolve("server.log");
        List<Socket> clients = new ArrayList<>();
        try (ServerProcess server = ServerProcess.startWithOpenFileLimit(160, dir.resolve("data"), port, log)) {
            // One whole session first: the test runs the server from class files, and loading a class needs a
            // descriptor too (a packaged server reads them from its one open jar).
            try (SmtpWire wire = SmtpWire.connect(port)) {
                wire.reply();
                wire.command("EHLO client.test");
                wire.command("MAIL FROM:<a@example.org>");
                wire.command("RCPT TO:<postmaster@localhost>");
                wire.command("DATA");
                assertThat(wire.command("Subject: warm-up\r\n\r\nx\r\n.")).startsWith("250 ");
                wire.command("QUIT");
            }
            // Open connections until the server cannot accept any more: the failure shows in its log.
            while (!logText(log).contains("accept on port " + port + " failing")) {
                assertThat(clients).as("connections before accept failed").hasSizeLessThan(400);
                Socket client = new Socket("127.0.0.1", port);
                client.setSoTimeout(10_000);
                clients.add(client);
            }
            // Keep the server out of descriptors for a while: the old loop logged thousands of lines per second.
            Thread.sleep(3000); // the length of the outage this test imposes, not a wait for a result
            for (Socket client : clients) {
                client.close();
            }
            // The sentinel: a new connection is served again (the accept that took it logged its recovery first).
            try (SmtpWire wire = SmtpWire.connect(port)) {
                wire.socket().setSoTimeout(15_000);
                assertThat(wire.reply()).startsWith("220 crash.posthorn.test ESMTP");
                assertThat(wire.command("QUIT")).startsWith("221 ");
            }
            String text = logText(log);
            // At most one failure line per 10 s (the old loop wrote one per attempt, thousands a second), and a
            // recovery line.
            assertThat(count(text, " failing: ")).as("failure lines").isBetween(1, 2);
            assertThat(count(text, " works again ")).as("recovery lines").isBetween(1, 2);
            // 10 ms doubling to 1 s: a few dozen attempts at most over the outage, not a spin.
            Matcher attempts = ATTEMPTS.matcher(text);
            int total = 0;
            while (attempts.find()) {
                total += Integer.parseInt(attempts.group(1) != null ? attempts.group(1) : attempts.group(2));
            }
            assertThat(total).as("failed accepts reported").isBetween(1, 60);
        } finally {
            for (Socket client : clients) {
                client.close();
            }
        }
    }

    private static String logText(Path log) throws IOException {
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }

    private static int count(String text, String needle) {
        int count = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
            count++;
        }
        return count;
    }
}
