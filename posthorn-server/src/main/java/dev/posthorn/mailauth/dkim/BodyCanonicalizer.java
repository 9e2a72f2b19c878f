package dev.posthorn.mailauth.dkim;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Streams a message body through DKIM's body canonicalization (RFC 6376 §3.4.3 simple, §3.4.4 relaxed) into
 * SHA-256, byte by byte, without holding lines: empty lines are only counted until content follows them, so
 * those at the end are dropped as both algorithms require. {@code limit} is the {@code l=} tag (or -1): only
 * that many canonical octets are hashed, while {@link BodyHash#canonicalLength()} counts them all, so that a
 * verifier can see content appended beyond {@code l=}.
 */
public final class BodyCanonicalizer {

    private final boolean relaxed;
    private final long limit;
    private final MessageDigest digest;
    private final byte[] buffer = new byte[8192];
    private int buffered;
    private long emitted;
    private boolean sawCr;
    private boolean pendingWsp;
    private boolean lineHasContent;
    private long pendingEmptyLines;

    public BodyCanonicalizer(boolean relaxed, long limit) {
        this.relaxed = relaxed;
        this.limit = limit;
        try {
            this.digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    public void update(byte[] bytes, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            update(bytes[i]);
        }
    }

    public void update(byte c) {
        if (sawCr) {
            sawCr = false;
            if (c == '\n') {
                endOfLine();
                return;
            }
            content((byte) '\r'); // a bare CR is content, not a line end
        }
        if (c == '\r') {
            sawCr = true;
        } else if (relaxed && (c == ' ' || c == '\t')) {
            pendingWsp = true;
        } else {
            content(c);
        }
    }

    private void content(byte c) {
        if (!lineHasContent) {
            for (; pendingEmptyLines > 0; pendingEmptyLines--) {
                emit((byte) '\r');
                emit((byte) '\n');
            }
            lineHasContent = true;
        }
        if (pendingWsp) {
            emit((byte) ' ');
            pendingWsp = false;
        }
        emit(c);
    }

    private void endOfLine() {
        pendingWsp = false; // relaxed: whitespace at the end of a line is ignored
        if (lineHasContent) {
            emit((byte) '\r');
            emit((byte) '\n');
            lineHasContent = false;
        } else {
            pendingEmptyLines++;
        }
    }

    private void emit(byte b) {
        if (limit < 0 || emitted < limit) {
            buffer[buffered++] = b;
            if (buffered == buffer.length) {
                digest.update(buffer, 0, buffered);
                buffered = 0;
            }
        }
        emitted++;
    }

    public BodyHash finish() {
        if (sawCr) {
            sawCr = false;
            content((byte) '\r');
        }
        pendingWsp = false;
        if (lineHasContent) {
            // A last line without CRLF gets one (both algorithms).
            emit((byte) '\r');
            emit((byte) '\n');
            lineHasContent = false;
        }
        if (!relaxed && emitted == 0) {
            emit((byte) '\r'); // simple: an empty body is one CRLF
            emit((byte) '\n');
        }
        digest.update(buffer, 0, buffered);
        buffered = 0;
        return new BodyHash(digest.digest(), emitted);
    }

    /** The SHA-256 of the (possibly limited) canonical body, and the canonical body's whole length. */
    public record BodyHash(byte[] sha256, long canonicalLength) {
    }
}
