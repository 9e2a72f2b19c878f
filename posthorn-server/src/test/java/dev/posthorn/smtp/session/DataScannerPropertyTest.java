package dev.posthorn.smtp.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.smtp.protocol.DataOutcome;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * D-3, D-4, B-1 and B-2 as a property of the DATA reader, against a model written from RFC 5321 §4.1.1.4 and
 * §4.5.2: the data ends at the first "." CRLF that starts a line (the start of the data, or right after a
 * CRLF); every other line-initial dot is removed; bare CR and bare LF are content and are flagged; the bytes
 * after the terminator are left unread for the command reader. Inputs are drawn from a tiny alphabet so that
 * terminators, near-misses and all smuggling variants occur often.
 */
class DataScannerPropertyTest {

    private static final byte[] TERMINATOR_AND_TAIL = "\r\n.\r\nNOOP\r\n".getBytes();

    @Provide
    Arbitrary<byte[]> data() {
        return Arbitraries.of((byte) 'a', (byte) '.', (byte) '\r', (byte) '\n', (byte) 'M')
                .array(byte[].class).ofMaxSize(60);
    }

    @Property(tries = 300)
    void dataEndsOnlyAtCrLfDotCrLf(@ForAll("data") byte[] random) throws IOException {
        byte[] wire = Arrays.copyOf(random, random.length + TERMINATOR_AND_TAIL.length);
        System.arraycopy(TERMINATOR_AND_TAIL, 0, wire, random.length, TERMINATOR_AND_TAIL.length);

        SmtpInput input = new SmtpInput(new ByteArrayInputStream(wire));
        ByteArrayOutputStream stored = new ByteArrayOutputStream();
        ContentSink sink = new ContentSink(stored, Long.MAX_VALUE);
        input.readData(sink);
        byte[] rest = new byte[wire.length];
        int restLength = 0;
        while (input.hasBuffered()) {
            ByteArrayOutputStream one = new ByteArrayOutputStream();
            input.readExactly(1, one);
            rest[restLength++] = one.toByteArray()[0];
        }

        int end = terminator(wire);
        byte[] body = Arrays.copyOf(wire, end);
        assertThat(stored.toByteArray()).as("content").isEqualTo(unstuff(body));
        assertThat(Arrays.copyOf(rest, restLength)).as("left for commands")
                .isEqualTo(Arrays.copyOfRange(wire, end + 3, wire.length));
        DataOutcome outcome = sink.outcome();
        assertThat(outcome.bareCr()).as("bare CR").isEqualTo(hasBareCr(body));
        assertThat(outcome.bareLf()).as("bare LF").isEqualTo(hasBareLf(body));
        assertThat(outcome.size()).isEqualTo(unstuff(body).length);
    }

    /** Index of the "." of the first ".\r\n" at a line start. */
    static int terminator(byte[] wire) {
        for (int i = 0; i + 2 < wire.length; i++) {
            boolean lineStart = i == 0 || (i >= 2 && wire[i - 2] == '\r' && wire[i - 1] == '\n');
            if (lineStart && wire[i] == '.' && wire[i + 1] == '\r' && wire[i + 2] == '\n') {
                return i;
            }
        }
        throw new AssertionError("the wire always contains a terminator");
    }

    /** RFC 5321 §4.5.2: drop the first character of a line that starts with a dot. */
    static byte[] unstuff(byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < body.length; i++) {
            boolean lineStart = i == 0 || (i >= 2 && body[i - 2] == '\r' && body[i - 1] == '\n');
            if (lineStart && body[i] == '.') {
                continue;
            }
            out.write(body[i]);
        }
        return out.toByteArray();
    }

    static boolean hasBareCr(byte[] body) {
        for (int i = 0; i < body.length; i++) {
            if (body[i] == '\r' && (i + 1 >= body.length || body[i + 1] != '\n')) {
                return true;
            }
        }
        return false;
    }

    static boolean hasBareLf(byte[] body) {
        for (int i = 0; i < body.length; i++) {
            if (body[i] == '\n' && (i == 0 || body[i - 1] != '\r')) {
                return true;
            }
        }
        return false;
    }
}
