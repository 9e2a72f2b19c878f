package dev.posthorn.smtp.session;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.smtp.protocol.ListenerRole;
import dev.posthorn.testing.RunningServer;
import dev.posthorn.testing.SmtpWire;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deadlines that hold during reads (SMTP-CONFORMANCE O-3, issue 10): a client that sends a byte now and then,
 * each one in time for the read timeout, is still cut when its command line, its session or its TLS handshake
 * overruns; and so is one that stops reading our replies. Before, every byte restarted the read timeout and a
 * blocked write had none, so each of these clients held its connection for as long as it liked.
 */
class SlowClientDeadlineTest {

    static final String TIMEOUT = "421 4.4.2 mx.posthorn.test Error: timeout exceeded";
    static final String SESSION_LIMIT = "421 4.4.2 mx.posthorn.test Error: session time limit exceeded";

    @TempDir
    Path dataDir;
    RunningServer server;
    Thread trickler;
    final AtomicBoolean stop = new AtomicBoolean();

    @AfterEach
    void stopAll() throws InterruptedException {
        stop.set(true);
        if (trickler != null) {
            trickler.join(5000);
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aCommandLineTrickledByteByByteIsCutAtTheCommandTimeout() throws IOException {
        server = RunningServer.start(dataDir, c -> {
            c.limits.commandTimeoutSeconds = 2;
            c.auth.throttleDelaySeconds = 1; // must stay below the command timeout
        });
        try (SmtpWire wire = SmtpWire.connect(server.mxPort())) {
            wire.reply();
            wire.socket().setSoTimeout(15_000);
            long started = System.nanoTime();
            // One byte every 400 ms, each well inside the 2 s read timeout, never a line end.
            trickle(wire.socket().getOutputStream(), "NOOP NOOP NOOP NOOP NOOP NOOP NOOP".getBytes(US_ASCII), 400);
            assertThat(wire.reply()).isEqualTo(TIMEOUT);
            long millis = (System.nanoTime() - started) / 1_000_000;
            assertThat(millis).isBetween(1_900L, 4_000L);
            assertThat(wire.closedByServer()).isTrue();
        }
    }

    @Test
    void theSessionDeadlineHoldsInsideAReadNotOnlyBetweenCommands() throws IOException {
        // The case: session_timeout_seconds = 20 and a byte every 3 s held a session for 70 s and more.
        server = RunningServer.start(dataDir, c -> {
            c.limits.sessionTimeoutSeconds = 3;
            c.limits.commandTimeoutSeconds = 60;
        });
        try (SmtpWire wire = SmtpWire.connect(server.mxPort())) {
            long started = System.nanoTime();
            wire.reply();
            wire.socket().setSoTimeout(15_000);
            trickle(wire.socket().getOutputStream(), "EHLO slow.client.test slowly".getBytes(US_ASCII), 400);
            assertThat(wire.reply()).isEqualTo(SESSION_LIMIT);
            long millis = (System.nanoTime() - started) / 1_000_000;
            assertThat(millis).isBetween(2_900L, 5_000L);
            assertThat(wire.closedByServer()).isTrue();
        }
    }

    @Test
    void messageContentTrickledPastTheSessionDeadlineIsCutToo() throws IOException {
        server = RunningServer.start(dataDir, c -> {
            c.limits.sessionTimeoutSeconds = 3;
            c.limits.commandTimeoutSeconds = 60;
        });
        try (SmtpWire wire = SmtpWire.connect(server.mxPort())) {
            long started = System.nanoTime();
            wire.reply();
            wire.command("EHLO client.test");
            wire.command("MAIL FROM:<a@example.org>");
            wire.command("RCPT TO:<postmaster@posthorn.test>");
            assertThat(wire.command("DATA")).startsWith("354 ");
            wire.socket().setSoTimeout(15_000);
            trickle(wire.socket().getOutputStream(), "Subject: slow\r\n\r\nvery slow body".getBytes(US_ASCII), 300);
            assertThat(wire.reply()).isEqualTo(SESSION_LIMIT);
            assertThat((System.nanoTime() - started) / 1_000_000).isBetween(2_900L, 5_000L);
        }
        assertThat(server.messages("postmaster@posthorn.test")).isEmpty();
    }

    /** Inside TLS one read assembles a whole record: a record trickled byte by byte was never timed out. */
    @Test
    void aTlsRecordTrickledAfterStarttlsIsCutAndToldSoInsideTls() throws IOException {
        server = RunningServer.start(dataDir, c -> {
            c.limits.commandTimeoutSeconds = 2;
            c.auth.throttleDelaySeconds = 1; // must stay below the command timeout
        });
        try (SmtpWire plain = SmtpWire.connect(server.port(ListenerRole.SUBMISSION))) {
            plain.reply();
            plain.command("EHLO client.test");
            assertThat(plain.command("STARTTLS")).startsWith("220 ");
            SmtpWire tls = plain.startTls();
            tls.socket().setSoTimeout(15_000);
            long started = System.nanoTime();
            // An application-data record header promising 200 octets, then the octets one by one, on the raw socket.
            byte[] record = new byte[205];
            record[0] = 23;
            record[1] = 3;
            record[2] = 3;
            record[4] = (byte) 200;
            trickle(plain.socket().getOutputStream(), record, 300);
            assertThat(tls.reply()).isEqualTo(TIMEOUT);
            assertThat((System.nanoTime() - started) / 1_000_000).isBetween(1_900L, 6_000L);
            assertThat(endOfStream(tls.socket().getInputStream())).isTrue();
        }
    }

    @Test
    void anImplicitTlsHandshakeTrickledByteByByteIsCut() throws IOException {
        server = RunningServer.start(dataDir, c -> {
            c.limits.commandTimeoutSeconds = 2;
            c.auth.throttleDelaySeconds = 1; // must stay below the command timeout
        });
        try (Socket socket = new Socket("127.0.0.1", server.port(ListenerRole.SUBMISSIONS))) {
            socket.setSoTimeout(15_000);
            long started = System.nanoTime();
            // A handshake record header promising 300 octets of ClientHello, then the octets one by one.
            byte[] record = new byte[305];
            record[0] = 22;
            record[1] = 3;
            record[2] = 1;
            record[3] = 1;
            record[4] = 44;
            trickle(socket.getOutputStream(), record, 300);
            assertThat(endOfStream(socket.getInputStream())).isTrue();
            assertThat((System.nanoTime() - started) / 1_000_000).isBetween(1_900L, 6_000L);
        }
    }

    @Test
    void aClientThatNeverReadsItsRepliesIsCut() throws Exception {
        server = RunningServer.start(dataDir, c -> {
            c.limits.commandTimeoutSeconds = 2;
            c.auth.throttleDelaySeconds = 1; // must stay below the command timeout
        });
        try (Socket socket = new Socket("127.0.0.1", server.mxPort())) {
            socket.setReceiveBufferSize(4096);
            OutputStream out = socket.getOutputStream();
            byte[] noops = "NOOP\r\n".repeat(10_000).getBytes(US_ASCII);
            AtomicBoolean cut = new AtomicBoolean();
            // Commands pipelined without reading a reply: the server's writes block once the kernel's buffers are
            // full (a few seconds on loopback), and 2 s later its deadline has passed. Our own writes block too
            // then, so they run on a thread of their own; only the server closing the connection ends them.
            Thread writer = Thread.ofPlatform().daemon().start(() -> {
                try {
                    while (!stop.get()) {
                        out.write(noops);
                    }
                } catch (IOException e) {
                    cut.set(!stop.get());
                }
            });
            writer.join(30_000);
            stop.set(true);
            assertThat(cut).as("the server closed the connection within 30 s").isTrue();
        }
    }

    // ---------------------------------------------------------------- helpers

    /** Sends {@code bytes} one at a time, {@code gapMillis} apart, on a thread of its own, until done or stopped. */
    private void trickle(OutputStream out, byte[] bytes, long gapMillis) {
        trickler = Thread.ofPlatform().daemon().start(() -> {
            try {
                for (byte b : bytes) {
                    if (stop.get()) {
                        return;
                    }
                    out.write(b);
                    out.flush();
                    Thread.sleep(gapMillis); // the pace of the attack itself, not a wait for a result
                }
            } catch (IOException | InterruptedException e) {
                // The server cut us: what the test expects.
            }
        });
    }

    /** True when the stream ends (or the connection is reset) before the read timeout. */
    private static boolean endOfStream(InputStream in) {
        try {
            while (true) {
                if (in.read() < 0) {
                    return true;
                }
            }
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }
}
