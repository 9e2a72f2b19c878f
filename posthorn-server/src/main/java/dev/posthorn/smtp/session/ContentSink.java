package dev.posthorn.smtp.session;

import dev.posthorn.smtp.protocol.DataOutcome;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

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
    /** For submission (RFC 6409 §8): header fields to add, computed from the header section; null otherwise. */
    private final Function<byte[], String> headerFixups;
    /** The header section held back until it is complete, so that missing fields can be written before it. */
    private ByteArrayOutputStream heldHeader;

    ContentSink(OutputStream target, long maxSize) {
        this(target, maxSize, null);
    }

    ContentSink(OutputStream target, long maxSize, Function<byte[], String> headerFixups) {
        this.target = target;
        this.maxSize = maxSize;
        this.headerFixups = headerFixups;
        this.heldHeader = headerFixups == null ? null : new ByteArrayOutputStream(4096);
    }

    @Override
    public void write(int b) throws IOException {
        size++;
        headers.accept((byte) b);
        if (!checkSize()) {
            if (heldHeader != null) {
                heldHeader.write(b);
                releaseHeaderWhenComplete();
                return;
            }
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
            if (heldHeader != null) {
                heldHeader.write(bytes, offset, length);
                releaseHeaderWhenComplete();
                return;
            }
            target.write(bytes, offset, length);
        }
    }

    private void releaseHeaderWhenComplete() throws IOException {
        if (headers.done() || heldHeader.size() > 256 * 1024) {
            finishContent();
        }
    }

    /** Writes what is held back, with the missing header fields first; called once the content has ended. */
    void finishContent() throws IOException {
        if (heldHeader == null) {
            return;
        }
        byte[] held = heldHeader.toByteArray();
        heldHeader = null;
        if (tooBig) {
            return;
        }
        target.write(headerFixups.apply(held).getBytes(StandardCharsets.UTF_8));
        target.write(held);
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
        return new DataOutcome(size, tooBig, bareLf, bareCr, headers.receivedCount(), headers.senders());
    }

    @Override
    public void flush() throws IOException {
        target.flush();
    }
}
