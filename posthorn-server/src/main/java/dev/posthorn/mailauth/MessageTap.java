package dev.posthorn.mailauth;

import dev.posthorn.mailauth.dkim.BodyHashSpec;
import dev.posthorn.mailauth.dkim.BodyHashes;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Sits in a message's content stream on its way to the spool. In the header section it cuts the stream into
 * fields, drops those {@code drop} names (our own {@code Authentication-Results} forged from outside, RFC 8601
 * §5) and keeps the others for the checks; at the empty line it asks {@code planner} which body hashes the
 * signatures found need, and computes them while the body streams past. One pass, nothing re-read, memory
 * bounded by the header limit.
 */
public final class MessageTap extends OutputStream {

    /** Header sections longer than this are passed on but not kept: the checks then say "permerror". */
    static final int MAX_HEADER_OCTETS = 512 * 1024;
    static final int MAX_FIELDS = 1000;

    private static final OutputStream NOWHERE = OutputStream.nullOutputStream();

    private final OutputStream downstream;
    private final Predicate<HeaderField> drop;
    private final Function<MessageHeader, Set<BodyHashSpec>> planner;
    private final List<HeaderField> fields = new ArrayList<>();
    private byte[] field = new byte[1024];
    private int fieldLength;
    private boolean inHeader = true;
    private boolean overflow;
    private boolean atLineStart = true;
    private boolean crAtLineStart;
    private long headerOctets;
    private MessageHeader header;
    private BodyHashes bodyHashes;

    public MessageTap(OutputStream downstream, Predicate<HeaderField> drop,
            Function<MessageHeader, Set<BodyHashSpec>> planner) {
        this.downstream = downstream == null ? NOWHERE : downstream;
        this.drop = drop;
        this.planner = planner;
    }

    /** Collects the header and a relaxed body hash, forwarding nothing (messages built in memory). */
    public static MessageTap collectOnly() {
        return new MessageTap(null, f -> false, h -> Set.of(BodyHashSpec.RELAXED));
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        int i = offset;
        int end = offset + length;
        while (i < end && inHeader) {
            if (overflow) {
                // Passing through: only the end of the header section is looked for.
                downstream.write(bytes[i]);
                watchForBodyStart(bytes[i]);
                i++;
                continue;
            }
            headerByte(bytes[i++]);
        }
        if (i < end) {
            downstream.write(bytes, i, end - i);
            if (bodyHashes != null) {
                bodyHashes.update(bytes, i, end - i);
            }
        }
    }

    private void headerByte(byte b) throws IOException {
        if (++headerOctets > MAX_HEADER_OCTETS || fields.size() > MAX_FIELDS) {
            overflowNow(b);
            return;
        }
        if (atLineStart) {
            if (crAtLineStart) {
                crAtLineStart = false;
                if (b == '\n') {
                    completeField();
                    downstream.write('\r');
                    downstream.write('\n');
                    startBody();
                    return;
                }
                append((byte) '\r');
            } else if (b == '\r') {
                crAtLineStart = true;
                return;
            }
            if ((b == ' ' || b == '\t') && fieldLength > 0) {
                append(b); // folded continuation of the current field
            } else {
                completeField();
                append(b);
            }
            atLineStart = false;
            return;
        }
        append(b);
        if (b == '\n' && fieldLength >= 2 && field[fieldLength - 2] == '\r') {
            atLineStart = true;
        }
    }

    private void overflowNow(byte b) throws IOException {
        overflow = true;
        overflowTail = (atLineStart ? 2 : 0) + (crAtLineStart ? 1 : 0);
        downstream.write(field, 0, fieldLength);
        fieldLength = 0;
        if (crAtLineStart) {
            downstream.write('\r');
        }
        downstream.write(b);
        atLineStart = false;
        crAtLineStart = false;
        watchForBodyStart(b);
    }

    /** In pass-through: how many of CR LF CR LF have been seen in a row. */
    private int overflowTail;

    private void watchForBodyStart(byte b) {
        byte expected = (byte) ((overflowTail % 2 == 0) ? '\r' : '\n');
        if (b == expected) {
            overflowTail++;
        } else {
            overflowTail = b == '\r' ? 1 : 0;
        }
        if (overflowTail == 4) {
            inHeader = false;
            header = new MessageHeader(fields, false);
        }
    }

    private void append(byte b) {
        if (fieldLength == field.length) {
            field = Arrays.copyOf(field, field.length * 2);
        }
        field[fieldLength++] = b;
    }

    private void completeField() throws IOException {
        if (fieldLength == 0) {
            return;
        }
        int rawLength = fieldLength;
        if (rawLength >= 2 && field[rawLength - 2] == '\r' && field[rawLength - 1] == '\n') {
            rawLength -= 2;
        }
        HeaderField f = HeaderField.of(new String(field, 0, rawLength, StandardCharsets.ISO_8859_1));
        if (!drop.test(f)) {
            downstream.write(field, 0, fieldLength);
            fields.add(f);
        }
        fieldLength = 0;
        if (field.length > 64 * 1024) {
            field = new byte[1024];
        }
    }

    private void startBody() {
        inHeader = false;
        header = new MessageHeader(fields, true);
        bodyHashes = new BodyHashes(planner.apply(header));
    }

    /** Call once the content has ended: completes a header without body and the body hashes. */
    public void finish() throws IOException {
        if (inHeader && !overflow) {
            completeField();
            if (crAtLineStart) {
                downstream.write('\r');
                crAtLineStart = false;
            }
            inHeader = false;
            header = new MessageHeader(fields, true);
            bodyHashes = new BodyHashes(planner.apply(header));
        } else if (inHeader) {
            inHeader = false;
            header = new MessageHeader(fields, false);
        }
        if (bodyHashes != null) {
            bodyHashes.finish();
        }
    }

    /** The header section as kept (without dropped fields); null before {@link #finish()} for a header-only message. */
    public MessageHeader header() {
        return header;
    }

    /** The body hashes asked for by the planner; null when the header was too large to be kept. */
    public BodyHashes bodyHashes() {
        return bodyHashes;
    }

    @Override
    public void flush() throws IOException {
        downstream.flush();
    }
}
