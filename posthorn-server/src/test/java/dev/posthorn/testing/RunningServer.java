package dev.posthorn.testing;

import dev.posthorn.config.ConfigException;
import dev.posthorn.config.ConfigLoader;
import dev.posthorn.config.PosthornConfig;
import dev.posthorn.server.PosthornServer;
import dev.posthorn.smtp.protocol.ListenerRole;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A real Posthorn on ephemeral loopback ports with its own data directory, for tests that talk to it over
 * sockets. {@code RunningServer.start(dir)} or with a config tweak; close it at the end.
 */
public final class RunningServer implements AutoCloseable {

    private final PosthornServer server;

    private RunningServer(PosthornServer server) {
        this.server = server;
    }

    public static RunningServer start(Path dataDir) {
        return start(dataDir, config -> { });
    }

    public static RunningServer start(Path dataDir, Consumer<PosthornConfig> tweak) {
        return start(dataDir, tweak, 1);
    }

    private static RunningServer start(Path dataDir, Consumer<PosthornConfig> tweak, int attempt) {
        try {
            PosthornConfig config = ConfigLoader.load(null, c -> {
                c.server.dataDir = dataDir.toString();
                c.server.hostname = "mx.posthorn.test";
                c.server.domains = List.of("localhost", "posthorn.test");
                c.listen.mxPort = freePort();
                c.listen.submissionPort = freePort();
                c.listen.smtpsPort = freePort();
                c.limits.shutdownGraceSeconds = 2;
                // Tests never reach the Internet: remote mail goes to a smarthost that refuses connections
                // (the discard port on loopback), so it waits in the queue, deferred.
                c.relay.host = "127.0.0.1";
                c.relay.port = 9;
                // Nor do they ask the Internet's DNS: mail authentication's checks on the MX port are off unless
                // a test turns them on with its own DNS server (MailAuthMxTest).
                c.mailauth.enabled = false;
                tweak.accept(c);
            });
            return new RunningServer(PosthornServer.start(config));
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e);
        } catch (IOException e) {
            // A port found free a moment ago can be taken by another socket before we bind it (tests run
            // alongside each other's clients): try again with new ports, a few times.
            if (attempt < 5 && e.getCause() instanceof java.net.BindException) {
                return start(dataDir, tweak, attempt + 1);
            }
            throw new UncheckedIOException(e);
        }
    }

    public PosthornServer server() {
        return server;
    }

    public int mxPort() {
        return server.port(ListenerRole.MX);
    }

    public int port(ListenerRole role) {
        return server.port(role);
    }

    public String hostname() {
        return server.hostname();
    }

    /** The Maildir {@code new/} directory of a local mailbox. */
    public Path inbox(String address) {
        return server.localDelivery().mailboxFor(address).newDirectory();
    }

    /** Messages delivered to a mailbox so far (new/ and cur/). */
    public List<Path> messages(String address) {
        Path root = server.localDelivery().mailboxFor(address).root();
        try (Stream<Path> files = Stream.concat(list(root.resolve("new")), list(root.resolve("cur")))) {
            return files.sorted().toList();
        }
    }

    /** Waits up to {@code millis} for a mailbox to hold {@code count} messages. */
    public List<Path> awaitMessages(String address, int count, long millis) {
        long deadline = System.currentTimeMillis() + millis;
        List<Path> found = messages(address);
        while (found.size() < count && System.currentTimeMillis() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            found = messages(address);
        }
        return found;
    }

    /**
     * Waits up to {@code millis} until a message in the mailbox contains {@code text}, and returns all its
     * messages then. With a later message as the sentinel, this is how a test shows that something else was
     * not delivered (twice, or at all): anything accepted before the sentinel is delivered by then.
     */
    public List<Path> awaitMessageContaining(String address, String text, long millis) {
        long deadline = System.currentTimeMillis() + millis;
        while (true) {
            List<Path> found = messages(address);
            for (Path file : found) {
                try {
                    if (Files.readString(file, java.nio.charset.StandardCharsets.ISO_8859_1).contains(text)) {
                        return found;
                    }
                } catch (IOException e) {
                    // Moved from new/ to cur/ meanwhile: looked at again next round.
                }
            }
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("no message containing '" + text + "' delivered to " + address);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }

    private static Stream<Path> list(Path dir) {
        try {
            return Files.isDirectory(dir) ? Files.list(dir) : Stream.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static int freePort() {
        try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        server.close();
    }
}
