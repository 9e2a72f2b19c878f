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
    /** The first write to the spool that failed (a full disk): the rest is read and dropped, never stored. */
    private IOException storageFailure;

    ContentSink(OutputStream target, long maxSize) {
        this(target, maxSize, null);
    }

    ContentSink(OutputStream target, long maxSize, Function<byte[], String> headerFixups) {
        this.target = target;
        this.maxSize = maxSize;
        this.headerFixups = headerFixups;
        this.heldHeader = headerFixups == null ? null : new ByteArrayOutputStream(4096);
    }

    /**
     * BDAT content arrives as raw octets (RFC 3030 §2), not through the DATA line reader that flags bare CR and
     * LF: the sink looks for them itself, across chunk boundaries, so that both commands refuse the same
     * content. (A bare LF would otherwise hide a field inside the one before it from every check.)
     */
    private boolean scanLineEnds;
    private boolean pendingCr;

    void scanLineEnds() {
        scanLineEnds = true;
    }

    private void scan(byte b) {
        if (pendingCr) {
            pendingCr = false;
            if (b == '\n') {
                return;
            }
            bareCr = true;
        }
        if (b == '\r') {
            pendingCr = true;
        } else if (b == '\n') {
            bareLf = true;
        }
    }

    @Override
    public void write(int b) throws IOException {
        size++;
        if (scanLineEnds) {
            scan((byte) b);
        }
        headers.accept((byte) b);
        if (!checkSize()) {
            if (heldHeader != null) {
                heldHeader.write(b);
                releaseHeaderWhenComplete();
                return;
            }
            store(b);
        }
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        size += length;
        if (scanLineEnds) {
            for (int i = 0; i < length; i++) {
                scan(bytes[offset + i]);
            }
        }
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
            store(bytes, offset, length);
        }
    }

    /**
     * Writes to the spool. A failure there is the spool's, not the connection's: it is kept for the reply at the
     * end of the content (452 4.3.1 for a full disk), and the content is still read to its end so the session
     * stays in step (as for an over-size message, RFC 1870 §6.3).
     */
    private void store(byte[] bytes, int offset, int length) {
        if (storageFailure != null) {
            return;
        }
        try {
            target.write(bytes, offset, length);
        } catch (IOException e) {
            storageFailure = e;
        }
    }

    /** The spool could not even be opened: everything is read and dropped, and the reply says why. */
    void failed(IOException e) {
        if (storageFailure == null) {
            storageFailure = e;
        }
    }

    private void store(int b) {
        if (storageFailure != null) {
            return;
        }
        try {
            target.write(b);
        } catch (IOException e) {
            storageFailure = e;
        }
    }

    /** The spool write that failed, or null. */
    IOException storageFailure() {
        return storageFailure;
    }

    private void releaseHeaderWhenComplete() throws IOException {
        if (headers.done() || heldHeader.size() > 256 * 1024) {
            finishContent();
        }
    }

    /** Writes what is held back, with the missing header fields first; called once the content has ended. */
    void finishContent() {
        if (pendingCr) {
            bareCr = true; // the content ended in a CR without its LF
            pendingCr = false;
        }
        if (heldHeader == null) {
            return;
        }
        byte[] held = heldHeader.toByteArray();
        heldHeader = null;
        if (tooBig) {
            return;
        }
        byte[] fields = headerFixups.apply(held).getBytes(StandardCharsets.UTF_8);
        store(fields, 0, fields.length);
        store(held, 0, held.length);
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

    /** What the content so far says; From: is parsed only if and when policy asks ({@link HeaderScanner#senders}). */
    DataOutcome outcome() {
        return new DataOutcome(size, tooBig, bareLf, bareCr, headers.receivedCount(), headers::senders);
    }

    /** How many times the header's From:/Sender: were parsed (the work a client can cause, for tests). */
    int headerParses() {
        return headers.parses();
    }

    @Override
    public void flush() {
        if (storageFailure == null) {
            try {
                target.flush();
            } catch (IOException e) {
                storageFailure = e;
            }
        }
    }
}
