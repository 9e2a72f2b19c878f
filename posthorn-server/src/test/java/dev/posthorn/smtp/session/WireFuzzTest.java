package dev.posthorn.smtp.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.testing.RunningServer;
import dev.posthorn.testing.SmtpWire;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Socket-level fuzz against a real server: a few hundred random streams (valid commands, BDAT chunks, junk,
 * NUL, 8-bit, huge lines, bare CR/LF, partial UTF-8), each ended so that any state reaches QUIT. Every byte the
 * server sends must be a well-formed reply line; when the server closes, its last line is a final reply (221,
 * 421, 501 for an unframeable BDAT, 554 for a pipelining violation), never a silent close (G-3, G-6); and a
 * fresh session afterwards still gets 220. One server forbids early pipelining (B-6), one allows it, so that
 * both the early-close path and deep states are reached.
 */
class WireFuzzTest {

    private static Path dir;
    private static RunningServer strict;
    private static RunningServer lenient;

    @BeforeContainer
    static void start() throws IOException {
        dir = Files.createTempDirectory("posthorn-wire-fuzz");
        strict = RunningServer.start(dir.resolve("strict"));
        lenient = RunningServer.start(dir.resolve("lenient"), c -> c.limits.forbidUnauthPipelining = false);
    }

    @AfterContainer
    static void stop() throws IOException {
        strict.close();
        lenient.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    static final List<String> COMMANDS = List.of("EHLO client.example", "HELO client.example",
            "MAIL FROM:<sender@example.org>", "MAIL FROM:<>", "MAIL FROM:<a@example.org> SIZE=10 BODY=8BITMIME",
            "RCPT TO:<postmaster@posthorn.test>", "RCPT TO:<Postmaster>", "RCPT TO:<nobody@posthorn.test>",
            "RCPT TO:<u@remote.example>", "RSET", "NOOP", "VRFY postmaster", "HELP", "EXPN x", "STARTTLS",
            "AUTH PLAIN", "DATA", ".", "..x", "BDAT ten", "rcpt to:<POSTMASTER@localhost> NOTIFY=NEVER");

    @Provide
    Arbitrary<byte[]> token() {
        Arbitrary<byte[]> command = Arbitraries.of(COMMANDS).map(WireFuzzTest::ascii);
        Arbitrary<byte[]> bdat = Combinators.combine(Arbitraries.integers().between(0, 64), Arbitraries.of("", " LAST"))
                .as((n, last) -> ascii("BDAT " + n + last));
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(200);
        Arbitrary<byte[]> huge = Combinators.combine(Arbitraries.integers().between(4500, 9000),
                Arbitraries.of((byte) 'x', (byte) 0, (byte) 0xE9)).as((n, b) -> {
                    byte[] bytes = new byte[n];
                    Arrays.fill(bytes, b);
                    return bytes;
                });
        Arbitrary<byte[]> hostile = Arbitraries.of(new byte[] {0}, new byte[] {'\r'}, new byte[] {'\n'},
                new byte[] {(byte) 0xC3}, new byte[] {(byte) 0xE2, (byte) 0x82}, new byte[] {(byte) 0xFF},
                ascii("NOOP\nNOOP"), ascii("\n.\n"), ascii("\r.\r"), ascii("\r\n.\r\n"),
                "MAIL FROM:<j\u00f6rg@example.org>".getBytes(StandardCharsets.UTF_8));
        Arbitrary<byte[]> withEnd = Combinators.combine(
                Arbitraries.frequencyOf(Tuple.of(6, command), Tuple.of(2, bdat), Tuple.of(2, random),
                        Tuple.of(1, huge), Tuple.of(2, hostile)),
                Arbitraries.frequency(Tuple.of(8, "\r\n"), Tuple.of(1, ""), Tuple.of(1, "\n"), Tuple.of(1, "\r")))
                .as((body, end) -> concat(body, ascii(end)));
        return withEnd;
    }

    @Provide
    Arbitrary<List<byte[]>> stream() {
        return token().list().ofMinSize(1).ofMaxSize(30);
    }

    /** Whatever state the stream left: at most 64 octets of BDAT are owed, DATA ends, then QUIT. */
    static final byte[] ENDING = ascii("x".repeat(128) + "\r\n.\r\nQUIT\r\n");

    @Property(tries = 300)
    void serverAnswersEveryStreamAndStaysUp(@ForAll("stream") List<byte[]> tokens, @ForAll boolean early)
            throws IOException {
        RunningServer server = early ? strict : lenient;
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        tokens.forEach(stream::writeBytes);
        stream.writeBytes(ENDING);
        byte[] received;
        boolean reset = false;
        try (Socket socket = new Socket("127.0.0.1", server.mxPort())) {
            socket.setSoTimeout(10_000);
            InputStream in = socket.getInputStream();
            byte[] greeting = readLine(in);
            assertThat(new String(greeting, StandardCharsets.US_ASCII)).startsWith("220 ");
            try {
                socket.getOutputStream().write(stream.toByteArray());
                socket.getOutputStream().flush();
            } catch (SocketException e) {
                // The server closed early (a 554/421/501 close); what it sent is still checked below.
            }
            ByteArrayOutputStream replies = new ByteArrayOutputStream();
            try {
                in.transferTo(replies);
            } catch (SocketTimeoutException e) {
                throw new AssertionError("server neither answered to the end nor closed; got: "
                        + replies.toString(StandardCharsets.UTF_8), e);
            } catch (SocketException e) {
                // A reset after the server's close can drop the tail of what it sent; check what arrived.
                reset = true;
            }
            received = replies.toByteArray();
        }
        checkReplies(received, reset);
        try (SmtpWire fresh = SmtpWire.connect(server.mxPort())) {
            assertThat(fresh.reply()).startsWith("220 ");
            assertThat(fresh.command("QUIT")).startsWith("221 ");
        }
    }

    /** Every line a well-formed reply line; the last one a final reply that ends a session. */
    static void checkReplies(byte[] received, boolean reset) {
        String text = new String(received, StandardCharsets.UTF_8);
        if (!reset) {
            assertThat(text).as("server closed without a reply").isNotEmpty().endsWith("\r\n");
        }
        String[] lines = text.split("\r\n", -1);
        String previousCode = null;
        String last = null;
        for (int i = 0; i < lines.length - 1; i++) {
            String line = lines[i];
            assertThat(line).as("reply line").matches("[2-5]\\d\\d[ -][\\x20-\\x7e]*");
            assertThat(line.length() + 2).isLessThanOrEqualTo(512);
            String code = line.substring(0, 3);
            if (previousCode != null) {
                assertThat(code).as("multi-line reply keeps its code").isEqualTo(previousCode);
            }
            previousCode = line.charAt(3) == '-' ? code : null;
            String rest = line.substring(4);
            if (rest.matches("\\d\\.\\d{1,3}\\.\\d{1,3}( .*)?")) {
                assertThat(rest.charAt(0)).as(line).isEqualTo(code.charAt(0));
            }
            last = line;
        }
        if (!reset) {
            assertThat(last).as("the session's last reply").matches("(221|421|501|554) .*");
        }
    }

    private static byte[] readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int previous = -1;
        int b;
        while ((b = in.read()) >= 0) {
            line.write(b);
            if (b == '\n' && previous == '\r') {
                break;
            }
            previous = b;
        }
        return line.toByteArray();
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
