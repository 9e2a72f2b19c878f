package dev.posthorn.delivery.lmtp;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * The message as DATA must carry it: every line ended by CRLF (a bare LF or a bare CR becomes CRLF, RFC 5321
 * §2.3.8: the server must not have to guess), a "." added before a line that starts with one (§4.5.2,
 * transparency), and {@link #finish()} ends the last line if it was open and sends the lone dot. Bytes are
 * copied in bulk, never one call per byte.
 */
final class DotStuffingOutputStream extends FilterOutputStream {

    private static final byte CR = '\r';
    private static final byte LF = '\n';

    private byte[] buffer = new byte[0];
    private boolean atLineStart = true;
    private boolean pendingCr;

    DotStuffingOutputStream(OutputStream out) {
        super(out);
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        // Worst case: every byte a bare LF or a line-opening dot, each turned into two.
        if (buffer.length < len * 2 + 2) {
            buffer = new byte[len * 2 + 2];
        }
        int o = 0;
        for (int i = off; i < off + len; i++) {
            byte c = b[i];
            if (pendingCr) {
                pendingCr = false;
                buffer[o++] = CR;
                buffer[o++] = LF;
                atLineStart = true;
                if (c == LF) {
                    continue;
                }
            }
            if (c == CR) {
                pendingCr = true;
            } else if (c == LF) {
                buffer[o++] = CR;
                buffer[o++] = LF;
                atLineStart = true;
            } else {
                if (atLineStart && c == '.') {
                    buffer[o++] = '.';
                }
                buffer[o++] = c;
                atLineStart = false;
            }
        }
        out.write(buffer, 0, o);
    }

    /** Ends the last line if the message did not, then the end-of-data line "." (RFC 5321 §4.1.1.4). */
    void finish() throws IOException {
        if (pendingCr || !atLineStart) {
            out.write(new byte[] {CR, LF});
        }
        pendingCr = false;
        atLineStart = true;
        out.write(new byte[] {'.', CR, LF});
    }

    /** Does not close the connection underneath: the session goes on after the message. */
    @Override
    public void close() {
    }
}
