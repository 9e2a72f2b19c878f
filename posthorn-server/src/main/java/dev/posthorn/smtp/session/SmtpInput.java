package dev.posthorn.smtp.session;

import dev.posthorn.smtp.protocol.LineFault;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * Bulk-buffered SMTP input: command lines, DATA content and BDAT chunks from one buffer, so that nothing
 * read ahead is lost between them (RFC 2920 §3.2). Only CRLF ends a line; a bare CR or LF never does
 * (RFC 5321 §2.3.8, SMTP smuggling).
 */
final class SmtpInput {

    /** Command phase: small, so that ten thousand idle sessions cost little memory. */
    private static final int COMMAND_BUFFER_SIZE = 4 * 1024;
    /** Message content (DATA, BDAT): 64 KiB bulk reads, from a pool shared by all sessions. */
    private static final int CONTENT_BUFFER_SIZE = 64 * 1024;
    private static final int FIRST_LINE_SIZE = 512;
    private static final ArrayBlockingQueue<byte[]> CONTENT_BUFFERS = new ArrayBlockingQueue<>(256);

    /** Called before every blocking read, so the session can set the socket timeout for the current phase. */
    interface BeforeRead {
        void prepare() throws IOException;
    }

    private InputStream in;
    private BeforeRead beforeRead = () -> { };
    private Runnable lineStarted = () -> { };
    private byte[] buffer = new byte[COMMAND_BUFFER_SIZE];
    private final byte[] commandBuffer = buffer;
    private int pos;
    private int limit;
    /** Grows up to the longest line allowed (an AUTH exchange line) only when a line needs it. */
    private byte[] line = new byte[FIRST_LINE_SIZE];

    SmtpInput(InputStream in) {
        this.in = in;
    }

    void beforeRead(BeforeRead hook) {
        this.beforeRead = hook;
    }

    /** Called when the first octet of a command line has been read: its deadline starts then. */
    void onLineStart(Runnable hook) {
        this.lineStarted = hook;
    }

    /** After STARTTLS: read from the TLS stream. The caller has made sure nothing plaintext is buffered. */
    void switchTo(InputStream tlsInput) {
        if (hasBuffered()) {
            throw new IllegalStateException("plaintext buffered across STARTTLS");
        }
        this.in = tlsInput;
    }

    /** True when bytes the client sent are waiting: pipelined commands, or an attack after STARTTLS. */
    boolean hasBuffered() {
        return pos < limit;
    }

    /** Switches to a large pooled buffer for content, keeping the bytes already read. */
    private void useContentBuffer() {
        if (buffer != commandBuffer) {
            return;
        }
        byte[] large = CONTENT_BUFFERS.poll();
        if (large == null) {
            large = new byte[CONTENT_BUFFER_SIZE];
        }
        int n = limit - pos;
        System.arraycopy(buffer, pos, large, 0, n);
        buffer = large;
        pos = 0;
        limit = n;
    }

    /** Back to the small buffer (and the large one back to the pool) once what is left fits. */
    private void useCommandBuffer() {
        if (buffer == commandBuffer || limit - pos > commandBuffer.length) {
            return;
        }
        int n = limit - pos;
        System.arraycopy(buffer, pos, commandBuffer, 0, n);
        CONTENT_BUFFERS.offer(buffer);
        buffer = commandBuffer;
        pos = 0;
        limit = n;
    }

    private boolean fill() throws IOException {
        if (pos < limit) {
            return true;
        }
        beforeRead.prepare();
        int n = in.read(buffer, 0, buffer.length);
        if (n <= 0) {
            return false;
        }
        pos = 0;
        limit = n;
        return true;
    }

    /**
     * Reads one command line of at most {@code max} octets (without CRLF). A longer line is read to its CRLF and
     * reported as TOO_LONG, never executed in part. Returns null at end of stream.
     */
    CommandLineBuffer readLine(int max) throws IOException {
        useCommandBuffer();
        int length = 0;
        LineFault fault = LineFault.NONE;
        boolean sawCr = false;
        boolean started = false;
        while (true) {
            if (!fill()) {
                return null;
            }
            byte b = buffer[pos++];
            if (!started) {
                started = true;
                lineStarted.run();
            }
            if (sawCr) {
                if (b == '\n') {
                    return new CommandLineBuffer(line, length, fault);
                }
                fault = worse(fault, LineFault.BARE_CR);
                sawCr = false;
                length = append(length, max, (byte) '\r');
                if (length < 0) {
                    fault = LineFault.TOO_LONG;
                    length = max;
                }
            }
            if (b == '\r') {
                sawCr = true;
                continue;
            }
            if (b == '\n') {
                fault = worse(fault, LineFault.BARE_LF);
            }
            int next = append(length, max, b);
            if (next < 0) {
                fault = LineFault.TOO_LONG;
            } else {
                length = next;
            }
        }
    }

    private int append(int length, int max, byte b) {
        if (length >= max) {
            return -1;
        }
        if (length == line.length) {
            line = Arrays.copyOf(line, Math.min(max, line.length * 2));
        }
        line[length] = b;
        return length + 1;
    }

    /** TOO_LONG wins (the line was not even kept); otherwise the first fault seen. */
    private static LineFault worse(LineFault current, LineFault seen) {
        return current == LineFault.NONE ? seen : current;
    }

    /**
     * Reads DATA content up to the CRLF "." CRLF that ends it (RFC 5321 §4.1.1.4), removing dot-stuffing
     * (§4.5.2) and writing the content, with its final CRLF, to {@code sink}. Bare CR and bare LF are passed
     * through and flagged; they never start or end a line, so none of the smuggling variants end the data.
     *
     * @throws EOFException when the connection ends before the terminator
     */
    void readData(ContentSink sink) throws IOException {
        useContentBuffer();
        try {
            readContent(sink);
        } finally {
            useCommandBuffer();
        }
    }

    private void readContent(ContentSink sink) throws IOException {
        // Data starts at the beginning of a line: the DATA command's CRLF precedes it.
        int state = LINE_START;
        while (true) {
            if (!fill()) {
                throw new EOFException("connection closed during DATA");
            }
            if (state == MID_LINE) {
                // Fast path: copy the run up to the next CR or LF in one write.
                int start = pos;
                while (pos < limit && buffer[pos] != '\r' && buffer[pos] != '\n') {
                    pos++;
                }
                if (pos > start) {
                    sink.write(buffer, start, pos - start);
                }
                if (pos == limit) {
                    continue;
                }
            }
            byte b = buffer[pos++];
            switch (state) {
                case LINE_START -> {
                    if (b == '.') {
                        state = DOT;
                    } else {
                        state = midLine(sink, b);
                    }
                }
                case DOT -> {
                    if (b == '\r') {
                        state = DOT_CR;
                    } else {
                        // RFC 5321 §4.5.2: a leading dot followed by more text is a stuffed dot: drop it.
                        state = midLine(sink, b);
                    }
                }
                case DOT_CR -> {
                    if (b == '\n') {
                        return;
                    }
                    // "." CR without LF: the dot was a stuffed one and the CR is bare.
                    sink.flagBareCr();
                    sink.write('\r');
                    state = midLine(sink, b);
                }
                case MID_LINE -> state = midLine(sink, b);
                case CR -> {
                    if (b == '\n') {
                        sink.write('\r');
                        sink.write('\n');
                        state = LINE_START;
                    } else {
                        sink.flagBareCr();
                        sink.write('\r');
                        state = midLine(sink, b);
                    }
                }
                default -> throw new IllegalStateException("data state " + state);
            }
        }
    }

    private static final int LINE_START = 0;
    private static final int DOT = 1;
    private static final int DOT_CR = 2;
    private static final int MID_LINE = 3;
    private static final int CR = 4;

    /** Handles one byte in the middle of a line and returns the next state. */
    private static int midLine(ContentSink sink, byte b) throws IOException {
        if (b == '\r') {
            return CR;
        }
        if (b == '\n') {
            // A bare LF is content, not a line end: the next byte is not at a line start.
            sink.flagBareLf();
        }
        sink.write(b);
        return MID_LINE;
    }

    /** Copies exactly {@code size} octets (a BDAT chunk, RFC 3030 §2) to {@code sink}. */
    void readExactly(long size, OutputStream sink) throws IOException {
        if (size > commandBuffer.length) {
            useContentBuffer();
        }
        try {
            copyExactly(size, sink);
        } finally {
            useCommandBuffer();
        }
    }

    private void copyExactly(long size, OutputStream sink) throws IOException {
        long remaining = size;
        while (remaining > 0) {
            if (!fill()) {
                throw new EOFException("connection closed during BDAT chunk");
            }
            int n = (int) Math.min(remaining, limit - pos);
            sink.write(buffer, pos, n);
            pos += n;
            remaining -= n;
        }
    }

    /** Reads and discards {@code size} octets of a refused BDAT chunk. */
    void skip(long size) throws IOException {
        readExactly(size, OutputStream.nullOutputStream());
    }
}
