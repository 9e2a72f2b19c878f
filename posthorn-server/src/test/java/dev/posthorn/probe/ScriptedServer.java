package dev.posthorn.probe;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A fake SMTP server for replies a real Posthorn never gives: it sends a greeting, then answers each command
 * by the first rule whose prefix the command starts with; a rule of null means "say nothing". Keeps what it
 * received. One connection at a time, on an ephemeral loopback port.
 */
final class ScriptedServer implements AutoCloseable {

    private final ServerSocket listener;
    private final String greeting;
    private final Map<String, String> rules;
    final List<String> received = new CopyOnWriteArrayList<>();
    private final Thread thread;

    /** {@code greeting} null: accept and stay silent. Rules in order: command prefix → reply lines (CRLF added). */
    ScriptedServer(String greeting, Map<String, String> rules) {
        try {
            listener = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.greeting = greeting;
        this.rules = rules;
        thread = Thread.ofVirtual().start(this::serve);
    }

    int port() {
        return listener.getLocalPort();
    }

    private void serve() {
        while (!listener.isClosed()) {
            try (Socket s = listener.accept()) {
                OutputStream out = s.getOutputStream();
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                if (greeting == null) {
                    in.read();
                    continue;
                }
                write(out, greeting);
                String line;
                while ((line = in.readLine()) != null) {
                    received.add(line);
                    String reply = match(line);
                    if (reply == null) {
                        continue;
                    }
                    write(out, reply);
                    if (reply.startsWith("221") || reply.startsWith("421")) {
                        break;
                    }
                }
            } catch (IOException e) {
                // Closed by the test or by the client.
            }
        }
    }

    private String match(String line) {
        for (Map.Entry<String, String> rule : rules.entrySet()) {
            if (line.toUpperCase(java.util.Locale.ROOT).startsWith(rule.getKey().toUpperCase(java.util.Locale.ROOT))) {
                return rule.getValue();
            }
        }
        return "500 5.5.2 unknown";
    }

    private static void write(OutputStream out, String reply) throws IOException {
        out.write((reply.replace("\n", "\r\n") + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        listener.close();
        thread.interrupt();
    }
}
