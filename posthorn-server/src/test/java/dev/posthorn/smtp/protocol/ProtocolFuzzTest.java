package dev.posthorn.smtp.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.codes.Reply;
import dev.posthorn.policy.HeaderFrom;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * Property: whatever lines arrive (random bytes, mixes of valid commands, NUL, 8-bit, huge lines, bare CR/LF,
 * partial UTF-8), {@link SmtpProtocol} never throws, answers every line with exactly one action, and every reply
 * is well-formed: code 2xx-5xx, the ESC class equal to the first digit, no CR/LF/NUL in a text line and no line
 * longer than 512 octets (RFC 5321 §4.5.3.1.5). The session is emulated as SmtpSession drives it: faults as the
 * CRLF scanner reports them, DATA/BDAT outcomes, commits, TLS.
 */
class ProtocolFuzzTest {

    static final List<String> GOOD = List.of("EHLO client.example", "HELO client.example",
            "MAIL FROM:<sender@example.org>", "MAIL FROM:<>", "MAIL FROM:<a@example.org> SIZE=100 BODY=8BITMIME",
            "MAIL FROM:<j\u00f6rg@example.org> SMTPUTF8", "RCPT TO:<postmaster@posthorn.test>",
            "RCPT TO:<Postmaster>", "RCPT TO:<nobody@posthorn.test>", "RCPT TO:<u@remote.example>",
            "RCPT TO:<postmaster@localhost> NOTIFY=SUCCESS ORCPT=rfc822;x@y", "DATA", "BDAT 10", "BDAT 0 LAST",
            "BDAT 5 LAST", "RSET", "NOOP", "QUIT", "VRFY postmaster", "EXPN x", "HELP", "HELP MAIL", "STARTTLS",
            "AUTH PLAIN", "TURN", ".", "");

    static final List<String> VERBS = List.of("EHLO", "HELO", "MAIL", "RCPT", "DATA", "BDAT", "RSET", "NOOP", "QUIT",
            "VRFY", "EXPN", "HELP", "STARTTLS", "AUTH", "mail", "rcpt", "bdat", "X");

    static final List<String> ARGS = List.of("", " ", " FROM:", " FROM:<", " FROM:<a@b>", " TO:<postmaster@posthorn.test>",
            " TO:<\"q u\"@posthorn.test>", " FROM:<@a,@b:c@d>", " FROM:<a@[1.2.3.4]>", " FROM:<a@[IPv6:::1]>",
            " FROM:<a@[IPv6:zz]>", " FROM:<a@b> SIZE=", " FROM:<a@b> SIZE=99999999999999999999999",
            " FROM:<a@b> XFOO=", " TO:<a@b> NOTIFY=NEVER,DELAY", " TO:<a@b> ORCPT=;", " 99999999999999999999",
            " -1", " 7 LAST", " 3 last extra", " [", " [IPv6:", " client.example", " %s%n%d", " \u00e9\u00e8");

    @Provide
    Arbitrary<byte[]> line() {
        Arbitrary<byte[]> good = Arbitraries.of(GOOD).map(ProtocolFuzzTest::utf8);
        Arbitrary<byte[]> mixed = Combinators.combine(Arbitraries.of(VERBS), Arbitraries.of(ARGS),
                Arbitraries.strings().ofMaxLength(30)).as((v, a, t) -> utf8(v + a + t));
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(300);
        Arbitrary<byte[]> huge = Combinators.combine(Arbitraries.integers().between(3000, 20_000),
                Arbitraries.of((byte) 'x', (byte) 0, (byte) 0xC3, (byte) ' ')).as((n, b) -> {
                    byte[] bytes = new byte[n];
                    Arrays.fill(bytes, b);
                    System.arraycopy(utf8("MAIL FROM:<"), 0, bytes, 0, 11);
                    return bytes;
                });
        Arbitrary<byte[]> hostile = Arbitraries.of("NOOP\0", "MAIL FROM:<a\0@b>", "RCPT TO:<\u00fc@posthorn.test>",
                "NOOP\nNOOP", "NOOP\rNOOP", "MAIL FROM:<a@b>\nRCPT TO:<postmaster@localhost>", "\r", "\n",
                "EHLO \u00ff").map(ProtocolFuzzTest::utf8);
        Arbitrary<byte[]> partialUtf8 = Combinators.combine(Arbitraries.of(GOOD),
                Arbitraries.of(new byte[] {(byte) 0xC3}, new byte[] {(byte) 0xE2, (byte) 0x82},
                        new byte[] {(byte) 0xF0, (byte) 0x9F, (byte) 0x98}, new byte[] {(byte) 0x80},
                        new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}))
                .as((g, tail) -> concat(utf8(g), tail));
        // Long parameters, within the command buffer: echoed parameters must not make an over-long reply.
        Arbitrary<byte[]> longParameter = Combinators.combine(
                Arbitraries.of("MAIL FROM:<a@example.org> ", "RCPT TO:<postmaster@posthorn.test> "),
                Arbitraries.of("XFOO=", "X", "SIZE=", "ENVID=", "ORCPT=rfc822;", "\u00e9="),
                Arbitraries.integers().between(100, 4000), Arbitraries.of('x', '%', '\u00e9'))
                .as((head, keyword, n, c) -> utf8(head + keyword + String.valueOf(c).repeat(n)));
        return Arbitraries.frequencyOf(Tuple.of(5, good), Tuple.of(3, mixed), Tuple.of(2, random), Tuple.of(1, huge),
                Tuple.of(2, hostile), Tuple.of(1, partialUtf8), Tuple.of(2, longParameter));
    }

    @Provide
    Arbitrary<List<byte[]>> lines() {
        return line().list().ofMinSize(1).ofMaxSize(40);
    }

    @Property(tries = 300)
    void anyInputGivesWellFormedReplies(@ForAll("lines") List<byte[]> lines, @ForAll boolean tlsAvailable,
            @ForAll boolean cleanContent, @ForAll boolean commitSucceeds) {
        ProtocolHarness h = new ProtocolHarness(tlsAvailable, 20);
        SmtpProtocol protocol = h.protocol;
        assertWellFormed(protocol.greeting());
        for (byte[] line : lines) {
            Action action = protocol.onLine(scanned(line, protocol.maxLineLength()), length(line,
                    protocol.maxLineLength()), fault(line, protocol.maxLineLength()));
            if (!follow(protocol, action, cleanContent, commitSucceeds)) {
                return;
            }
        }
    }

    /** Carries an action through as the session would; false when the session ends. */
    static boolean follow(SmtpProtocol protocol, Action action, boolean cleanContent, boolean commitSucceeds) {
        assertThat(action).isNotNull();
        switch (action) {
            case Action.Respond respond -> assertWellFormed(respond.reply());
            case Action.DelayedRespond delayed -> assertWellFormed(delayed.reply());
            case Action.Close close -> {
                assertWellFormed(close.reply());
                assertThat(close.reply().code()).isIn(221, 421, 501, 554);
                return false;
            }
            case Action.ReceiveData data -> {
                assertThat(data.goAhead().code()).isEqualTo(354);
                assertWellFormed(data.goAhead());
                DataOutcome outcome = new DataOutcome(500, false, !cleanContent, false, cleanContent ? 1 : 101,
                        new HeaderFrom.Mailboxes(List.of(new HeaderFrom.Address("x", "example.org")), List.of()));
                return follow(protocol, protocol.dataEnded(outcome), cleanContent, commitSucceeds);
            }
            case Action.ReceiveChunk chunk -> {
                DataOutcome outcome = new DataOutcome(chunk.size(), false, false, false, 0, new HeaderFrom.Absent());
                return follow(protocol, protocol.chunkEnded(chunk.size(), chunk.last(), outcome), cleanContent,
                        commitSucceeds);
            }
            case Action.DiscardChunk discard -> {
                assertWellFormed(discard.reply());
                assertThat(discard.reply().code()).isGreaterThanOrEqualTo(400);
                return discard.reply().code() != 421;
            }
            case Action.Commit commit -> assertWellFormed(commitSucceeds ? protocol.committed("4XyZ12AbC")
                    : protocol.commitFailed());
            case Action.StartTls startTls -> {
                assertWellFormed(startTls.ready());
                protocol.tlsStarted("TLSv1.3", "TLS_AES_128_GCM_SHA256");
            }
        }
        return true;
    }

    static void assertWellFormed(Reply reply) {
        assertThat(reply.code()).isBetween(200, 599);
        if (reply.enhanced() != null) {
            assertThat(reply.enhanced()).matches("[245]\\.\\d{1,3}\\.\\d{1,3}");
            assertThat(reply.enhanced().charAt(0)).isEqualTo((char) ('0' + reply.code() / 100));
        }
        for (String text : reply.lines()) {
            assertThat(text).doesNotContain("\r", "\n", "\0");
        }
        for (String wireLine : reply.wire().split("\r\n")) {
            assertThat(wireLine.getBytes(StandardCharsets.UTF_8).length + 2).as(wireLine).isLessThanOrEqualTo(512);
        }
    }

    /** What the CRLF scanner hands over: at most {@code max} octets; the fault it reports. */
    static byte[] scanned(byte[] line, int max) {
        return line.length <= max ? line : Arrays.copyOf(line, max);
    }

    static int length(byte[] line, int max) {
        return Math.min(line.length, max);
    }

    static LineFault fault(byte[] line, int max) {
        if (line.length > max) {
            return LineFault.TOO_LONG;
        }
        for (byte b : line) {
            if (b == '\n') {
                return LineFault.BARE_LF;
            }
            if (b == '\r') {
                return LineFault.BARE_CR;
            }
        }
        return LineFault.NONE;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
