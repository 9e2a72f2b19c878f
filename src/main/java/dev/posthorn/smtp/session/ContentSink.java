package dev.posthorn.smtp.session;

import dev.posthorn.smtp.protocol.DataOutcome;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Where message content goes on its way to the spool: counts octets, stops storing past the size limit (the
 * rest is still read so the session stays in step, RFC 1870 §6.3), remembers bare CR/LF, and lets the
 * {@link HeaderScanner} see the header section.
 */
final class ContentSink extends OutputStream {

    private final OutputStream target;
    private final long maxSize;
    private final HeaderScanner headers = new HeaderScanner();
    private long size;
    private boolean tooBig;
    private boolean bareLf;
    private boolean bareCr;

    ContentSink(OutputStream target, long maxSize) {
        this.target = target;
        this.maxSize = maxSize;
    }

    @Override
    public void write(int b) throws IOException {
        size++;
        headers.accept((byte) b);
        if (!checkSize()) {
            target.write(b);
        }
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        size += length;
        if (!headers.done()) {
            for (int i = 0; i < length; i++) {
                headers.accept(bytes[offset + i]);
            }
        }
        if (!checkSize()) {
            target.write(bytes, offset, length);
        }
    }

    private boolean checkSize() {
        if (size > maxSize) {
            tooBig = true;
        }
        return tooBig;
    }

    void flagBareLf() {
        bareLf = true;
    }

    void flagBareCr() {
        bareCr = true;
    }

    DataOutcome outcome() {
        return new DataOutcome(size, tooBig, bareLf, bareCr, headers.receivedCount(), headers.fromAddresses());
    }

    @Override
    public void flush() throws IOException {
        target.flush();
    }
}
