package dev.posthorn.smtp.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.testing.RunningServer;
import dev.posthorn.testing.SmtpWire;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * SMTP-CONFORMANCE items that only show on the wire, against a real server on the MX port: exact bytes in,
 * whole replies out, delivered Maildir files checked where an item is about content. Item ids are in the
 * test names.
 */
class WireConformanceTest {

    static final String PM = "postmaster@posthorn.test";
    static final String PM_LOCAL = "postmaster@localhost";

    @TempDir
    static Path sharedDir;
    static RunningServer server;

    @BeforeAll
    static void start() {
        server = RunningServer.start(sharedDir);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** Connected, greeted and EHLO'd. */
    static SmtpWire session() throws IOException {
        return session(server);
    }

    static SmtpWire session(RunningServer target) throws IOException {
        SmtpWire wire = SmtpWire.connect(target.mxPort());
        assertThat(wire.reply()).startsWith("220 mx.posthorn.test ");
        assertThat(wire.command("EHLO client.example")).startsWith("250-mx.posthorn.test");
        return wire;
    }

    /** MAIL, RCPT postmaster, DATA: ready for content. */
    static void openData(SmtpWire wire, String sender) throws IOException {
        assertThat(wire.command("MAIL FROM:<" + sender + ">")).startsWith("250 2.1.0");
        assertThat(wire.command("RCPT TO:<" + PM + ">")).startsWith("250 2.1.5");
        assertThat(wire.command("DATA")).startsWith("354 ");
    }

    static String marker(String name) {
        return "X-Test-Marker: " + name + "-" + System.nanoTime();
    }

    /** The delivered file (Return-Path first) whose text contains {@code marker}, waiting up to 5 s. */
    static String delivered(String address, String marker) {
        long deadline = System.currentTimeMillis() + 5000;
        while (System.currentTimeMillis() < deadline) {
            Optional<String> found = find(address, marker);
            if (found.isPresent()) {
                return found.get();
            }
            sleep(20);
        }
        throw new AssertionError("no message with " + marker + " delivered to " + address);
    }

    static void assertNotDelivered(String address, String marker) {
        assertNotDelivered(server, address, marker);
    }

    /**
     * A negative check without sleeping: a later message to the same mailbox is the sentinel. Once it has been
     * delivered, a message accepted before it would have been delivered too.
     */
    static void assertNotDelivered(RunningServer target, String address, String marker) {
        deliverSentinel(target, address);
        assertThat(find(target, address, marker)).as("message with %s delivered to %s", marker, address).isEmpty();
    }

    /** Sends a message to {@code address} and waits until it is in the mailbox. */
    static void deliverSentinel(RunningServer target, String address) {
        String sentinel = marker("sentinel");
        try (SmtpWire wire = session(target)) {
            assertThat(wire.command("MAIL FROM:<sentinel@example.org>")).startsWith("250 2.1.0");
            assertThat(wire.command("RCPT TO:<" + address + ">")).startsWith("250 2.1.5");
            assertThat(wire.command("DATA")).startsWith("354 ");
            assertThat(wire.command(sentinel + "\r\n\r\nsentinel\r\n.")).startsWith("250 2.0.0 ");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        long deadline = System.currentTimeMillis() + 10_000;
        while (find(target, address, sentinel).isEmpty()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("the sentinel message was not delivered to " + address);
            }
            sleep(20);
        }
    }

    private static Optional<String> find(String address, String marker) {
        return find(server, address, marker);
    }

    private static Optional<String> find(RunningServer target, String address, String marker) {
        return target.messages(address).stream().map(WireConformanceTest::read).filter(t -> t.contains(marker))
                .findFirst();
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void g1_greetingIs220WithTheHostNameFirstAndNoEsc() throws IOException {
        try (SmtpWire wire = SmtpWire.connect(server.mxPort())) {
            assertThat(wire.reply()).matches("220 mx\\.posthorn\\.test ESMTP.*");
        }
    }

    // §8 B-1..B-4, D-3: the seven smuggling variants inside a body.

    static Stream<Arguments> smuggling() {
        return Stream.of(Arguments.of("\\n.\\n", "\n.\n"), Arguments.of("\\n.\\r\\n", "\n.\r\n"),
                Arguments.of("\\r\\n.\\n", "\r\n.\n"), Arguments.of("\\r.\\r", "\r.\r"),
                Arguments.of("\\r.\\r\\n", "\r.\r\n"), Arguments.of("\\r\\n.\\r", "\r\n.\r"),
                Arguments.of("\\n.\\r", "\n.\r"));
    }

    @ParameterizedTest(name = "B-1 smuggling variant {0}")
    @MethodSource("smuggling")
    void b1_smugglingVariantNeverEndsData(String name, String variant) throws IOException {
        String outer = marker("outer");
        String inner = marker("smuggled");
        try (SmtpWire wire = session()) {
            openData(wire, "sender@example.org");
            wire.send(outer + "\r\nSubject: smuggle\r\n\r\nbefore" + variant
                    + "MAIL FROM:<evil@example.org>\r\nRCPT TO:<" + PM_LOCAL + ">\r\nDATA\r\n" + inner
                    + "\r\n\r\nsmuggled body\r\n.\r\n");
            // B-2: exactly one reply, at the real end of data; B-4: refused, 550 5.5.2.
            List<String> replies = wire.repliesBeforeSentinel();
            assertThat(replies).hasSize(1);
            assertThat(replies.get(0)).startsWith("550 5.5.2 Error: bare <");
            // The session goes on.
            assertThat(wire.command("NOOP")).startsWith("250 2.0.0");
        }
        assertNotDelivered(PM, outer);
        assertThat(server.messages(PM_LOCAL).stream().map(WireConformanceTest::read)).noneMatch(t -> t.contains(inner));
    }

    @Test
    void l1_bareLfInACommandIsOneMalformedLine() throws IOException {
        try (SmtpWire wire = session()) {
            wire.send("NOOP\nNOOP\r\n");
            List<String> replies = wire.repliesBeforeSentinel();
            assertThat(replies).hasSize(1);
            assertThat(replies.get(0)).startsWith("500 5.5.2");
            assertThat(wire.command("NOOP")).startsWith("250 2.0.0");
        }
    }

    @Test
    void l1_bareCrInACommandIsOneMalformedLine() throws IOException {
        try (SmtpWire wire = session()) {
            wire.send("NOOP\rNOOP\r\n");
            List<String> replies = wire.repliesBeforeSentinel();
            assertThat(replies).hasSize(1);
            assertThat(replies.get(0)).startsWith("500 5.5.2");
            assertThat(wire.command("NOOP")).startsWith("250 2.0.0");
        }
    }

    @Test
    void b3_bareLfNeverSplitsAMailCommand() throws IOException {
        try (SmtpWire wire = session()) {
            wire.send("MAIL FROM:<sender@example.org>\nRCPT TO:<" + PM + ">\r\n");
            List<String> replies = wire.repliesBeforeSentinel();
            assertThat(replies).hasSize(1);
            assertThat(replies.get(0)).startsWith("500 5.5.2");
            assertThat(wire.command("RCPT TO:<" + PM + ">")).startsWith("503 5.5.1");
        }
    }

    @Test
    void l4_a512OctetCommandLineIsAccepted() throws IOException {
        try (SmtpWire wire = session()) {
            String noop = "NOOP " + "x".repeat(512 - 2 - 5);
            assertThat((noop + "\r\n").length()).isEqualTo(512);
            assertThat(wire.command(noop)).startsWith("250 2.0.0");
            assertThat(wire.command("MAIL FROM:<sender@example.org>")).startsWith("250 2.1.0");
            String rcpt = "RCPT TO:<" + PM + "> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;";
            rcpt += "o".repeat(510 - rcpt.length());
            assertThat((rcpt + "\r\n").length()).isEqualTo(512);
            assertThat(wire.command(rcpt)).startsWith("250 2.1.5");
        }
    }

    @Test
    void l5_a5000OctetLineGetsOneLineTooLongAndItsTailNeverRuns() throws IOException {
        try (SmtpWire wire = session()) {
            // A MAIL command with QUIT where a reader with a 4 KiB buffer would cut it: any part of the line run
            // as a command would add a reply (or close the session).
            StringBuilder line = new StringBuilder("MAIL FROM:<sender@example.org> ");
            line.append("x".repeat(4096 - line.length())).append("QUIT");
            line.append("y".repeat(4998 - line.length()));
            assertThat(line.length() + 2).isEqualTo(5000);
            wire.send(line + "\r\n");
            List<String> replies = wire.repliesBeforeSentinel();
            assertThat(replies).containsExactly("500 5.5.2 Line too long");
            // Neither the truncated MAIL nor its tail ran: no transaction, and the connection is open.
            assertThat(wire.command("RCPT TO:<" + PM + ">")).startsWith("503 5.5.1");
            assertThat(wire.command("NOOP")).startsWith("250 2.0.0");
        }
    }

    @Test
    void l6_1000OctetBodyLinesAreAccepted() throws IOException {
        String marker = marker("l6");
        String longLine = "L".repeat(998);
        try (SmtpWire wire = session()) {
            openData(wire, "sender@example.org");
            wire.send(marker + "\r\nSubject: long lines\r\n\r\n" + longLine + "\r\n." + longLine + "\r\n.\r\n");
            assertThat(wire.reply()).startsWith("250 2.0.0 Ok: queued as ");
            assertThat(wire.command("NOOP")).startsWith("250 2.0.0");
        }
        String text = delivered(PM, marker);
        assertThat(text).contains("\r\n" + longLine + "\r\n" + longLine + "\r\n");
    }

    @Test
    void d4_dotStuffingIsRemoved() throws IOException {
        String marker = marker("d4");
        try (SmtpWire wire = session()) {
            openData(wire, "sender@example.org");
            wire.send(marker + "\r\nSubject: dots\r\n\r\n..x\r\n..\r\n. y\r\n...\r\nend\r\n.\r\n");
            assertThat(wire.reply()).startsWith("250 2.0.0 Ok: queued as ");
        }
        String text = delivered(PM, marker);
        assertThat(text).endsWith("\r\n\r\n.x\r\n.\r\n y\r\n..\r\nend\r\n");
    }

    private static final Pattern RECEIVED = Pattern.compile(
            "Received: from client\\.example \\(\\[127\\.0\\.0\\.1\\]\\) by mx\\.posthorn\\.test \\(Posthorn\\) "
                    + "with ESMTP id (\\S+) for <postmaster@posthorn\\.test>; "
                    + "(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                    + "\\d{4} \\d{2}:\\d{2}:\\d{2} [+-]\\d{4}");

    @Test
    void d8_receivedIsPrependedAndWellFormed_d9_returnPathOnTop() throws IOException {
        String marker = marker("d8");
        String queued;
        String earlier = "Received: from a.example by b.example with SMTP id 1; Mon, 2 Nov 2026 10:00:00 +0000";
        try (SmtpWire wire = session()) {
            openData(wire, "sender@example.org");
            wire.send(earlier + "\r\n" + marker + "\r\nSubject: trace\r\n\r\nbody\r\n.\r\n");
            queued = wire.reply();
            assertThat(queued).startsWith("250 2.0.0 Ok: queued as ");
        }
        String text = delivered(PM, marker);
        // D-9: Return-Path is the first field, with the reverse path.
        assertThat(text).startsWith("Return-Path: <sender@example.org>\r\n");
        String header = text.substring(0, text.indexOf("\r\n\r\n"));
        String unfolded = header.replaceAll("\r\n[ \t]+", " ");
        List<String> received = unfolded.lines().filter(l -> l.startsWith("Received:")).toList();
        // D-8: exactly one field of ours, before the existing one, which is unchanged.
        assertThat(received).hasSize(2);
        Matcher ours = RECEIVED.matcher(received.get(0));
        assertThat(ours.matches()).as(received.get(0)).isTrue();
        assertThat(queued).endsWith(" " + ours.group(1));
        assertThat(received.get(1)).isEqualTo(earlier);
        assertThat(header.indexOf("Received: from client.example")).isLessThan(header.indexOf(earlier));
        // D-12: header fields a submission server may add are not added by the MX.
        assertThat(header).doesNotContain("Message-ID:").doesNotContain("\r\nDate:").doesNotContain("\r\nSender:");
    }

    @Test
    void d8_receivedForPostmasterWithoutDomainNamesAFullMailbox() throws IOException {
        String marker = marker("d8-postmaster");
        try (SmtpWire wire = session()) {
            assertThat(wire.command("MAIL FROM:<sender@example.org>")).startsWith("250 2.1.0");
            assertThat(wire.command("RCPT TO:<Postmaster>")).startsWith("250 2.1.5");
            assertThat(wire.command("DATA")).startsWith("354 ");
            wire.send(marker + "\r\n\r\nbody\r\n.\r\n");
            assertThat(wire.reply()).startsWith("250 2.0.0 ");
        }
        String header = delivered(PM_LOCAL, marker);
        // RFC 5321 §4.4: For = CFWS "FOR" FWS ( Path / Mailbox ); <postmaster> alone is neither.
        assertThat(header.replaceAll("\r\n[ \t]+", " ")).contains(" for <postmaster@localhost>;")
                .doesNotContain("for <postmaster>");
    }

    @Test
    void d9_nullReversePathGivesReturnPathEmpty() throws IOException {
        String marker = marker("d9");
        try (SmtpWire wire = session()) {
            openData(wire, "");
            wire.send(marker + "\r\nSubject: bounce\r\n\r\nbody\r\n.\r\n");
            assertThat(wire.reply()).startsWith("250 2.0.0 ");
        }
        assertThat(delivered(PM, marker)).startsWith("Return-Path: <>\r\n");
    }

    // X-BDAT and B-5.

    @Test
    void bdat_chunksAreExactOctetsAndLastDelivers() throws IOException {
        String marker = marker("bdat");
        String first = marker + "\r\nSubject: chunks\r\n\r\nA\r\n.\r\n";
        String second = "MAIL FROM:<evil@example.org>\r\n..dots stay\r\n";
        try (SmtpWire wire = session()) {
            assertThat(wire.command("MAIL FROM:<sender@example.org>")).startsWith("250 2.1.0");
            assertThat(wire.command("RCPT TO:<" + PM + ">")).startsWith("250 2.1.5");
            wire.send("BDAT " + first.length() + "\r\n" + first);
            assertThat(wire.reply()).isEqualTo("250 2.0.0 " + first.length() + " octets received");
            // B-5: CRLF.CRLF and a command line inside a chunk are data; pipelined with BDAT 0 LAST.
            wire.send("BDAT " + second.length() + "\r\n" + second + "BDAT 0 LAST\r\n");
            assertThat(wire.reply()).isEqualTo("250 2.0.0 " + second.length() + " octets received");
            assertThat(wire.reply()).startsWith("250 2.0.0 Ok: queued as ");
            assertThat(wire.repliesBeforeSentinel()).isEmpty();
        }
        String text = delivered(PM, marker);
        assertThat(text).endsWith("\r\n\r\nA\r\n.\r\n" + second);
    }

    @Test
    void bdat_singleLastChunk() throws IOException {
        String marker = marker("bdat-last");
        String content = marker + "\r\nSubject: one chunk\r\n\r\nbody\r\n";
        try (SmtpWire wire = session()) {
            assertThat(wire.command("MAIL FROM:<sender@example.org>")).startsWith("250 2.1.0");
            assertThat(wire.command("RCPT TO:<" + PM + ">")).startsWith("250 2.1.5");
            wire.send("BDAT " + content.length() + " LAST\r\n" + content);
            assertThat(wire.reply()).startsWith("250 2.0.0 Ok: queued as ");
        }
        assertThat(delivered(PM, marker)).endsWith(content);
    }

    /**
     * BDAT content is held to the same line ends as DATA's: a bare LF (which would hide a header field inside the
     * one above it from the authentication checks) or a bare CR, even across a chunk boundary, is refused with
     * 550 5.5.2 and nothing is delivered; a CRLF split between two chunks is fine.
     */
    @Test
    void bdat_bareLineEndsAreRefusedLikeData() throws IOException {
        String lf = marker("bdat-lf");
        String cr = marker("bdat-cr");
        String split = marker("bdat-split");
        try (SmtpWire wire = session()) {
            String content = lf + "\r\nX-Hide: a\nSubject: bare lf\r\n\r\nbody\r\n";
            assertThat(wire.command("MAIL FROM:<sender@example.org>")).startsWith("250 2.1.0");
            assertThat(wire.command("RCPT TO:<" + PM + ">")).startsWith("250 2.1.5");
            wire.send("BDAT " + content.length() + " LAST\r\n" + content);
            assertThat(wire.reply()).isEqualTo("550 5.5.2 Error: bare <LF> received");

            String first = cr + "\r\nSubject: bare cr\r";
            String second = "\r\nbody\r\n";
            assertThat(wire.command("MAIL FROM:<sender@example.org>")).startsWith("250 2.1.0");
            assertThat(wire.command("RCPT TO:<" + PM + ">")).startsWith("250 2.1.5");
            wire.send("BDAT " + first.length() + "\r\n" + first);
            assertThat(wire.reply()).startsWith("250 2.0.0 ");
            wire.send("BDAT " + second.length() + " LAST\r\n" + second);
            assertThat(wire.reply()).isEqualTo("550 5.5.2 Error: bare <CR> received");

            first = split + "\r\nSubject: split crlf\r";
            second = "\n\r\nbody\r\n";
            assertThat(wire.command("MAIL FROM:<sender@example.org>")).startsWith("250 2.1.0");
            assertThat(wire.command("RCPT TO:<" + PM + ">")).startsWith("250 2.1.5");
            wire.send("BDAT " + first.length() + "\r\n" + first);
            assertThat(wire.reply()).startsWith("250 2.0.0 ");
            wire.send("BDAT " + second.length() + " LAST\r\n" + second);
            assertThat(wire.reply()).startsWith("250 2.0.0 Ok: queued as ");
        }
        assertThat(delivered(PM, split)).endsWith("Subject: split crlf\r\n\r\nbody\r\n");
        assertNotDelivered(PM, lf);
        assertNotDelivered(PM, cr);
    }

    @Test
    void xBdat3_dataAfterBdatIs503() throws IOException {
        try (SmtpWire wire = session()) {
            assertThat(wire.command("MAIL FROM:<sender@example.org>")).startsWith("250 2.1.0");
            assertThat(wire.command("RCPT TO:<" + PM + ">")).startsWith("250 2.1.5");
            wire.send("BDAT 4\r\nabcd");
            assertThat(wire.reply()).startsWith("250 2.0.0 4 octets");
            assertThat(wire.command("DATA")).startsWith("503 5.5.1");
            assertThat(wire.command("NOOP")).startsWith("250 2.0.0");
        }
    }

    @Test
    void xBdat5_refusedChunkIsReadAndDiscardedNeverExecuted() throws IOException {
        try (SmtpWire wire = session()) {
            String chunk = "QUIT\r\nRSET\r\nMAIL FROM:<evil@example.org>\r\n";
            // No transaction: 503, and the chunk's bytes are swallowed, not run.
            wire.send("BDAT " + chunk.length() + "\r\n" + chunk);
            List<String> replies = wire.repliesBeforeSentinel();
            assertThat(replies).hasSize(1);
            assertThat(replies.get(0)).startsWith("503 5.5.1");
            assertThat(wire.command("RCPT TO:<" + PM + ">")).startsWith("503 5.5.1");
            // No valid recipients: 554 5.5.1, chunk discarded likewise.
            assertThat(wire.command("MAIL FROM:<sender@example.org>")).startsWith("250 2.1.0");
            wire.send("BDAT " + chunk.length() + " LAST\r\n" + chunk);
            replies = wire.repliesBeforeSentinel();
            assertThat(replies).hasSize(1);
            assertThat(replies.get(0)).startsWith("554 5.5.1");
            assertThat(wire.command("NOOP")).startsWith("250 2.0.0");
        }
    }

    // §9 PIPELINING and B-6.

    @Test
    void p2_pipelinedMailRcptRcptAreAnsweredInOrder() throws IOException {
        String marker = marker("pipelining");
        try (SmtpWire wire = session()) {
            wire.send("MAIL FROM:<sender@example.org>\r\nRCPT TO:<" + PM + ">\r\nRCPT TO:<nobody@posthorn.test>\r\n"
                    + "RCPT TO:<" + PM_LOCAL + ">\r\nDATA\r\n");
            assertThat(wire.reply()).startsWith("250 2.1.0");
            assertThat(wire.reply()).startsWith("250 2.1.5");
            assertThat(wire.reply()).startsWith("550 5.1.1 <nobody@posthorn.test>");
            assertThat(wire.reply()).startsWith("250 2.1.5");
            assertThat(wire.reply()).startsWith("354 ");
            wire.send(marker + "\r\n\r\nbody\r\n.\r\n");
            assertThat(wire.reply()).startsWith("250 2.0.0 Ok: queued as ");
        }
        delivered(PM, marker);
        delivered(PM_LOCAL, marker);
    }

    @Test
    void p2_repliesAreSentBeforeWaitingForTheRestOfAPartialLine() throws IOException {
        try (SmtpWire wire = session()) {
            // The NOOP is complete, the next command is not: its reply must not wait for the rest.
            wire.send("NOOP\r\nNO");
            // The reply must come without the rest of the line: reply() fails after its read timeout otherwise.
            assertThat(wire.reply()).isEqualTo("250 2.0.0 OK");
            wire.send("OP\r\n");
            assertThat(wire.reply()).isEqualTo("250 2.0.0 OK");
        }
    }

    @Test
    void b6_commandPipelinedAfterDataIsASynchronizationError() throws IOException {
        String marker = marker("b6");
        try (SmtpWire wire = session()) {
            assertThat(wire.command("MAIL FROM:<sender@example.org>")).startsWith("250 2.1.0");
            assertThat(wire.command("RCPT TO:<" + PM + ">")).startsWith("250 2.1.5");
            wire.send("DATA\r\n" + marker + "\r\n\r\nbody\r\n.\r\n");
            assertThat(wire.reply()).startsWith("554 5.5.0");
            assertThat(wire.closedByServer()).isTrue();
        }
        assertNotDelivered(PM, marker);
    }

    @Test
    void b6_commandPipelinedAfterEhloIsASynchronizationError() throws IOException {
        try (SmtpWire wire = SmtpWire.connect(server.mxPort())) {
            assertThat(wire.reply()).startsWith("220 ");
            wire.send("EHLO client.example\r\nMAIL FROM:<sender@example.org>\r\n");
            assertThat(wire.reply()).startsWith("554 5.5.0");
            assertThat(wire.closedByServer()).isTrue();
        }
    }

    // §12 SIZE on the wire.

    @Test
    void z5_declaredSizeDoesNotFrameTheData() throws IOException {
        String marker = marker("z5");
        try (SmtpWire wire = session()) {
            assertThat(wire.command("MAIL FROM:<sender@example.org> SIZE=10")).startsWith("250 2.1.0");
            assertThat(wire.command("RCPT TO:<" + PM + ">")).startsWith("250 2.1.5");
            assertThat(wire.command("DATA")).startsWith("354 ");
            wire.send(marker + "\r\n\r\n" + "z".repeat(500) + "\r\n.\r\n");
            assertThat(wire.reply()).startsWith("250 2.0.0 ");
        }
        delivered(PM, marker);
    }

    @Test
    void z6_oversizeDataIsReadToTheEndThenOne552(@TempDir Path dir) throws IOException {
        try (RunningServer small = RunningServer.start(dir, c -> c.limits.maxMessageSize = 65_536);
                SmtpWire wire = session(small)) {
            assertThat(wire.command("MAIL FROM:<sender@example.org>")).startsWith("250 2.1.0");
            assertThat(wire.command("RCPT TO:<" + PM + ">")).startsWith("250 2.1.5");
            assertThat(wire.command("DATA")).startsWith("354 ");
            StringBuilder body = new StringBuilder("Subject: big\r\n\r\n");
            // Lines that look like commands must stay data even after the limit is passed.
            while (body.length() < 100_000) {
                body.append("RSET and some filler to make the line longer ").append(body.length()).append("\r\n");
            }
            wire.send(body + ".\r\n");
            List<String> replies = wire.repliesBeforeSentinel();
            assertThat(replies).containsExactly("552 5.3.4 Message size exceeds fixed maximum message size");
            assertThat(wire.command("NOOP")).startsWith("250 2.0.0");
            assertThat(wire.command("RCPT TO:<" + PM + ">")).startsWith("503 5.5.1");
            deliverSentinel(small, PM);
            assertThat(small.messages(PM)).as("only the sentinel").hasSize(1);
        }
    }

    // §6 M-10/M-11 on the wire.

    @Test
    void m11_the101stRecipientGets452AndTheFirst100AreDelivered() throws IOException {
        String marker = marker("m11");
        String[] forms = {PM, PM_LOCAL, "PostMaster@posthorn.test", "POSTMASTER@LOCALHOST"};
        try (SmtpWire wire = session()) {
            assertThat(wire.command("MAIL FROM:<sender@example.org>")).startsWith("250 2.1.0");
            StringBuilder group = new StringBuilder();
            for (int i = 0; i < 101; i++) {
                group.append("RCPT TO:<").append(forms[i % forms.length]).append(">\r\n");
            }
            wire.send(group.toString());
            for (int i = 0; i < 100; i++) {
                assertThat(wire.reply()).as("RCPT %d", i + 1).startsWith("250 2.1.5");
            }
            assertThat(wire.reply()).startsWith("452 4.5.3");
            assertThat(wire.command("DATA")).startsWith("354 ");
            wire.send(marker + "\r\n\r\nbody\r\n.\r\n");
            assertThat(wire.reply()).startsWith("250 2.0.0 Ok: queued as ");
        }
        delivered(PM, marker);
        delivered(PM_LOCAL, marker);
    }

    @Test
    void m7_postmasterWithAndWithoutDomainIsOneRecipient() throws IOException {
        String marker = marker("m7");
        try (SmtpWire wire = session()) {
            assertThat(wire.command("MAIL FROM:<sender@example.org>")).startsWith("250 2.1.0");
            assertThat(wire.command("RCPT TO:<Postmaster>")).startsWith("250 2.1.5");
            assertThat(wire.command("RCPT TO:<postmaster@localhost>")).startsWith("250 2.1.5");
            assertThat(wire.command("DATA")).startsWith("354 ");
            wire.send(marker + "\r\n\r\nbody\r\n.\r\n");
            assertThat(wire.reply()).startsWith("250 2.0.0 ");
        }
        delivered(PM_LOCAL, marker);
        deliverSentinel(server, PM_LOCAL);
        assertThat(server.messages(PM_LOCAL).stream().map(WireConformanceTest::read).filter(t -> t.contains(marker)))
                .as("copies delivered").hasSize(1);
    }

    // §2 and §14: connection handling.

    @Test
    void g4_shutdownSends421ToAnIdleSession(@TempDir Path dir) throws Exception {
        RunningServer own = RunningServer.start(dir);
        try (SmtpWire wire = session(own)) {
            CompletableFuture<Void> closing = CompletableFuture.runAsync(own::close);
            assertThat(wire.reply())
                    .isEqualTo("421 4.3.2 mx.posthorn.test Service shutting down, closing transmission channel");
            assertThat(wire.closedByServer()).isTrue();
            closing.get();
        }
    }

    @Test
    void g4_shutdownDuringDataLetsTheMessageFinishThenSends421(@TempDir Path dir) throws Exception {
        RunningServer own = RunningServer.start(dir);
        try (SmtpWire wire = session(own)) {
            assertThat(wire.command("MAIL FROM:<sender@example.org>")).startsWith("250 2.1.0");
            assertThat(wire.command("RCPT TO:<" + PM + ">")).startsWith("250 2.1.5");
            assertThat(wire.command("DATA")).startsWith("354 ");
            wire.send("Subject: busy\r\n\r\nfirst half\r\n");
            CompletableFuture<Void> closing = CompletableFuture.runAsync(own::close);
            sleep(300);
            wire.send("second half\r\n.\r\n");
            assertThat(wire.reply()).startsWith("250 2.0.0 Ok: queued as ");
            assertThat(wire.reply())
                    .isEqualTo("421 4.3.2 mx.posthorn.test Service shutting down, closing transmission channel");
            assertThat(wire.closedByServer()).isTrue();
            closing.get();
        }
    }

    @Test
    void d10_tooManyReceivedFieldsIsRefused() throws IOException {
        String marker = marker("d10");
        try (SmtpWire wire = session()) {
            openData(wire, "sender@example.org");
            StringBuilder message = new StringBuilder();
            for (int i = 0; i < 101; i++) {
                message.append("Received: from hop").append(i).append(".example by x.example; Mon, 2 Nov 2026 10:00:00 +0000\r\n");
            }
            wire.send(message + marker + "\r\n\r\nlooping\r\n.\r\n");
            assertThat(wire.reply()).startsWith("554 5.4.0");
            assertThat(wire.command("NOOP")).startsWith("250 2.0.0");
        }
        assertNotDelivered(PM, marker);
    }

    @Test
    void o3_commandTimeoutGets421(@TempDir Path dir) throws IOException {
        try (RunningServer own = RunningServer.start(dir, c -> {
            c.limits.commandTimeoutSeconds = 1;
            c.auth.throttleDelaySeconds = 0; // must stay below the command timeout
        });
                SmtpWire wire = session(own)) {
            long start = System.nanoTime();
            assertThat(wire.reply()).isEqualTo("421 4.4.2 mx.posthorn.test Error: timeout exceeded");
            assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(800);
            assertThat(wire.closedByServer()).isTrue();
        }
    }

    @Test
    void o3_slowDataHitsTheTotalDataDeadline(@TempDir Path dir) throws Exception {
        try (RunningServer own = RunningServer.start(dir, c -> c.limits.dataTimeoutSeconds = 1);
                SmtpWire wire = session(own)) {
            assertThat(wire.command("MAIL FROM:<sender@example.org>")).startsWith("250 2.1.0");
            assertThat(wire.command("RCPT TO:<" + PM + ">")).startsWith("250 2.1.5");
            assertThat(wire.command("DATA")).startsWith("354 ");
            // A slow-loris client: a byte every 100 ms never trips the per-read timeout, only the total one.
            Thread trickle = Thread.ofVirtual().start(() -> {
                try {
                    for (int i = 0; i < 40; i++) {
                        wire.send("x");
                        Thread.sleep(100);
                    }
                } catch (IOException | InterruptedException e) {
                    // The server closed, as expected.
                }
            });
            assertThat(wire.reply()).isEqualTo("421 4.4.2 mx.posthorn.test Error: timeout exceeded");
            trickle.interrupt();
            trickle.join();
        }
    }

    @Test
    void o3_slowBdatChunkHitsTheTotalDataDeadline(@TempDir Path dir) throws Exception {
        try (RunningServer own = RunningServer.start(dir, c -> c.limits.dataTimeoutSeconds = 1);
                SmtpWire wire = session(own)) {
            assertThat(wire.command("MAIL FROM:<sender@example.org>")).startsWith("250 2.1.0");
            assertThat(wire.command("RCPT TO:<" + PM + ">")).startsWith("250 2.1.5");
            wire.send("BDAT 1000 LAST\r\n");
            Thread trickle = Thread.ofVirtual().start(() -> {
                try {
                    for (int i = 0; i < 40; i++) {
                        wire.send("x");
                        Thread.sleep(100);
                    }
                } catch (IOException | InterruptedException e) {
                    // The server closed, as expected.
                }
            });
            assertThat(wire.reply()).isEqualTo("421 4.4.2 mx.posthorn.test Error: timeout exceeded");
            trickle.interrupt();
            trickle.join();
        }
    }

    @Test
    void g6_connectionLimitGets421(@TempDir Path dir) throws IOException {
        try (RunningServer own = RunningServer.start(dir, c -> c.limits.maxConnectionsPerIp = 1);
                SmtpWire first = session(own);
                SmtpWire second = SmtpWire.connect(own.mxPort())) {
            assertThat(second.reply()).startsWith("421 4.7.0 mx.posthorn.test ");
            assertThat(second.closedByServer()).isTrue();
            assertThat(first.command("NOOP")).startsWith("250 2.0.0");
        }
    }

    @Test
    void s11_tooManyErrorsGets421AndClose() throws IOException {
        try (SmtpWire wire = session()) {
            wire.send("FOO\r\n".repeat(21));
            for (int i = 0; i < 20; i++) {
                assertThat(wire.reply()).as("error %d", i + 1).startsWith("500 5.5.2");
            }
            assertThat(wire.reply()).isEqualTo("421 4.7.0 mx.posthorn.test Error: too many errors");
            assertThat(wire.closedByServer()).isTrue();
        }
    }

    @Test
    void s11_errorLimitReachedByARefusedBdatChunkStillSends421() throws IOException {
        try (SmtpWire wire = session()) {
            wire.send("FOO\r\n".repeat(20) + "BDAT 5\r\nabcde");
            for (int i = 0; i < 20; i++) {
                assertThat(wire.reply()).as("error %d", i + 1).startsWith("500 5.5.2");
            }
            assertThat(wire.reply()).isEqualTo("421 4.7.0 mx.posthorn.test Error: too many errors");
            assertThat(wire.closedByServer()).isTrue();
        }
    }

    @Test
    void g3_errorsBelowTheLimitNeverClose() throws IOException {
        try (SmtpWire wire = session()) {
            for (int i = 0; i < 5; i++) {
                assertThat(wire.command("XYZZY")).startsWith("500 5.5.2");
            }
            assertThat(wire.command("NOOP")).startsWith("250 2.0.0");
            assertThat(wire.command("QUIT")).startsWith("221 2.0.0 mx.posthorn.test");
            assertThat(wire.closedByServer()).isTrue();
        }
    }

    @Test
    void g5_droppedConnectionDuringDataDeliversNothing() throws IOException {
        String marker = marker("g5");
        try (SmtpWire wire = session()) {
            openData(wire, "sender@example.org");
            wire.send(marker + "\r\nSubject: half\r\n\r\nhalf a message\r\n");
        }
        assertNotDelivered(PM, marker);
    }

    @Test
    void g5_sessionEndingMidBdatLeavesNoSpoolFile(@TempDir Path dir) throws IOException {
        try (RunningServer own = RunningServer.start(dir); SmtpWire wire = session(own)) {
            assertThat(wire.command("MAIL FROM:<sender@example.org>")).startsWith("250 2.1.0");
            assertThat(wire.command("RCPT TO:<" + PM + ">")).startsWith("250 2.1.5");
            wire.send("BDAT 5\r\nhello");
            assertThat(wire.reply()).startsWith("250 2.0.0 5 octets");
            // EHLO resets the transaction and ends the session (B-6): its spool file must go too.
            wire.send("EHLO client.example\r\nNOOP\r\n");
            assertThat(wire.reply()).startsWith("554 5.5.0");
            // The session drops the transaction's spool file before it replies and closes, so the close is the
            // sentinel: no waiting.
            assertThat(wire.closedByServer()).isTrue();
            try (Stream<Path> files = Files.list(dir.resolve("queue"))) {
                assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".msg"));
            }
        }
    }

    @Test
    void g5_droppedConnectionBetweenBdatChunksDeliversNothing() throws IOException {
        String marker = marker("g5-bdat");
        String chunk = marker + "\r\nSubject: half\r\n\r\n";
        try (SmtpWire wire = session()) {
            assertThat(wire.command("MAIL FROM:<sender@example.org>")).startsWith("250 2.1.0");
            assertThat(wire.command("RCPT TO:<" + PM + ">")).startsWith("250 2.1.5");
            wire.send("BDAT " + chunk.length() + "\r\n" + chunk);
            assertThat(wire.reply()).startsWith("250 2.0.0 ");
            wire.send("BDAT 100 LAST\r\nonly part of the last chunk");
        }
        assertNotDelivered(PM, marker);
    }
}
