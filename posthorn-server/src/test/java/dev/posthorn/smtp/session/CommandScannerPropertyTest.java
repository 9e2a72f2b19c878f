package dev.posthorn.smtp.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.smtp.protocol.LineFault;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * L-1, L-5 and B-3 as a property of the command-line reader, against a model: only CRLF ends a line; a line
 * holding a CR not followed by LF, or a LF not preceded by CR, is one line with a fault (the first one seen);
 * a line over the buffer is reported TOO_LONG once and nothing of it is ever a line of its own.
 */
class CommandScannerPropertyTest {

    private static final int MAX = 16;

    @Provide
    Arbitrary<byte[]> stream() {
        return Arbitraries.of((byte) 'a', (byte) ' ', (byte) '\r', (byte) '\n', (byte) '\r', (byte) '\n')
                .array(byte[].class).ofMaxSize(80);
    }

    record Line(String text, LineFault fault) {
    }

    @Property(tries = 300)
    void onlyCrLfEndsACommandLine(@ForAll("stream") byte[] random) throws IOException {
        byte[] wire = Arrays.copyOf(random, random.length + 2);
        wire[random.length] = '\r';
        wire[random.length + 1] = '\n';
        SmtpInput input = new SmtpInput(new ByteArrayInputStream(wire));
        List<Line> read = new ArrayList<>();
        CommandLineBuffer line;
        while ((line = input.readLine(MAX)) != null) {
            String text = line.fault() == LineFault.TOO_LONG ? "" : new String(line.bytes(), 0, line.length());
            read.add(new Line(text, line.fault()));
        }
        assertThat(read).isEqualTo(model(wire));
    }

    static List<Line> model(byte[] wire) {
        List<Line> lines = new ArrayList<>();
        int start = 0;
        for (int i = 0; i + 1 < wire.length; i++) {
            if (wire[i] == '\r' && wire[i + 1] == '\n') {
                byte[] content = Arrays.copyOfRange(wire, start, i);
                lines.add(new Line(content.length > MAX ? "" : new String(content), fault(content)));
                start = i + 2;
                i++;
            }
        }
        return lines;
    }

    static LineFault fault(byte[] content) {
        if (content.length > MAX) {
            return LineFault.TOO_LONG;
        }
        for (int i = 0; i < content.length; i++) {
            if (content[i] == '\n') {
                return LineFault.BARE_LF;
            }
            if (content[i] == '\r') {
                return LineFault.BARE_CR;
            }
        }
        return LineFault.NONE;
    }
}
