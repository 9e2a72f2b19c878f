package dev.posthorn.smtp.listener;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.testing.RunningServer;
import dev.posthorn.testing.SmtpWire;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A connection flood far beyond {@code max_connections} (issue 10): every connection past the limit is answered
 * {@code 421 4.7.0}, never closed silently; the limit holds exactly; and a session established before the
 * flood goes on delivering mail while the flood connections are still open.
 */
class ConnectionFloodTest {

    private static final int MAX_CONNECTIONS = 20;
    private static final int FLOOD = 600;

    @Test
    void aFloodGets421PastTheLimitWhileAnEstablishedSessionKeepsWorking(@TempDir Path dir) throws Exception {
        try (RunningServer server = RunningServer.start(dir, c -> c.limits.maxConnections = MAX_CONNECTIONS);
                SmtpWire established = SmtpWire.connect(server.mxPort())) {
            assertThat(established.reply()).startsWith("220 ");
            assertThat(established.command("EHLO client.test")).startsWith("250-");

            // The flood, from many threads and 50 loopback addresses; each connection stays open till the end.
            ConcurrentMap<String, AtomicInteger> greetings = new ConcurrentHashMap<>();
            List<Socket> open = java.util.Collections.synchronizedList(new ArrayList<>());
            List<Thread> flooders = new ArrayList<>();
            AtomicInteger next = new AtomicInteger();
            for (int t = 0; t < 30; t++) {
                flooders.add(Thread.ofPlatform().start(() -> {
                    for (int i = next.getAndIncrement(); i < FLOOD; i = next.getAndIncrement()) {
                        try {
                            Socket socket = new Socket(InetAddress.getByName("127.0.0.1"), server.mxPort(),
                                    InetAddress.getByName("127.0.1." + (1 + i % 50)), 0);
                            open.add(socket);
                            socket.setSoTimeout(10_000);
                            greetings.computeIfAbsent(firstLine(socket), k -> new AtomicInteger()).incrementAndGet();
                        } catch (IOException e) {
                            greetings.computeIfAbsent("error: " + e.getMessage(), k -> new AtomicInteger())
                                    .incrementAndGet();
                        }
                    }
                }));
            }
            for (Thread flooder : flooders) {
                flooder.join();
            }
            Map<String, Integer> seen = new TreeMap<>();
            greetings.forEach((line, count) -> seen.put(line.startsWith("220 ") ? "220" : line, count.get()));
            // The established session holds one place: exactly MAX_CONNECTIONS - 1 of the flood were admitted.
            assertThat(seen).containsOnlyKeys("220", "421 4.7.0 mx.posthorn.test Too many connections, try later");
            assertThat(seen.get("220")).isEqualTo(MAX_CONNECTIONS - 1);
            assertThat(seen.get("421 4.7.0 mx.posthorn.test Too many connections, try later"))
                    .isEqualTo(FLOOD - MAX_CONNECTIONS + 1);

            // With the flood's admitted connections still open, the established session delivers.
            assertThat(established.command("MAIL FROM:<a@example.org>")).startsWith("250 2.1.0");
            assertThat(established.command("RCPT TO:<postmaster@posthorn.test>")).startsWith("250 2.1.5");
            assertThat(established.command("DATA")).startsWith("354 ");
            assertThat(established.command("Subject: during the flood\r\n\r\nx\r\n."))
                    .startsWith("250 2.0.0 Ok: queued as ");
            assertThat(server.awaitMessageContaining("postmaster@posthorn.test", "during the flood", 10_000))
                    .hasSize(1);
            for (Socket socket : open) {
                socket.close();
            }
        }
    }

    private static String firstLine(Socket socket) throws IOException {
        StringBuilder line = new StringBuilder();
        var in = socket.getInputStream();
        for (int b = in.read(); b >= 0 && b != '\n'; b = in.read()) {
            line.append((char) b);
        }
        return line.toString().strip();
    }
}
