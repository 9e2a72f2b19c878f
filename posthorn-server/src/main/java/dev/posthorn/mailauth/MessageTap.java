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
    /** A field longer than this is not kept (memory stays bounded past the header limit too). */
    static final int MAX_FIELD_OCTETS = 64 * 1024;

    private static final OutputStream NOWHERE = OutputStream.nullOutputStream();

    private final OutputStream downstream;
    private final Predicate<HeaderField> drop;
    private final Function<MessageHeader, Set<BodyHashSpec>> planner;
    private final List<HeaderField> fields = new ArrayList<>();
    private byte[] field = new byte[1024];
    private int fieldLength;
    private boolean inField;
    private byte previous;
    private Spill spill = Spill.NONE;
    private boolean inHeader = true;
    /** Fields are kept for the checks while the header section stays within the limits. */
    private boolean keeping = true;
    private boolean atLineStart = true;
    private boolean crAtLineStart;
    private long headerOctets;
    private MessageHeader header;
    private BodyHashes bodyHashes;

    /** What happens to the rest of a field longer than {@link #MAX_FIELD_OCTETS}. */
    private enum Spill { NONE, PASSING, DROPPING }

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
        if (keeping && (++headerOctets > MAX_HEADER_OCTETS || fields.size() > MAX_FIELDS)) {
            // From here on fields are still cut and filtered (a forged Authentication-Results after a thousand
            // fields is removed all the same), only no longer kept: the checks then say "permerror".
            keeping = false;
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
                fieldByte((byte) '\r');
            } else if (b == '\r') {
                crAtLineStart = true;
                return;
            }
            if ((b == ' ' || b == '\t') && inField) {
                fieldByte(b); // folded continuation of the current field
            } else {
                completeField();
                fieldByte(b);
            }
            atLineStart = false;
            return;
        }
        boolean lineEnd = b == '\n' && previous == '\r';
        fieldByte(b);
        atLineStart = lineEnd;
    }

    /** One octet of the current field: buffered, or past {@link #MAX_FIELD_OCTETS} passed on or dropped. */
    private void fieldByte(byte b) throws IOException {
        inField = true;
        previous = b;
        switch (spill) {
            case DROPPING -> {
                return;
            }
            case PASSING -> {
                downstream.write(b);
                return;
            }
            case NONE -> append(b);
        }
        if (fieldLength > MAX_FIELD_OCTETS) {
            // Too long to keep: the header can no longer be judged whole. An Authentication-Results field this
            // long is dropped unread rather than passed on with an authserv-id nobody looked at.
            keeping = false;
            if (HeaderField.of(new String(field, 0, fieldLength, StandardCharsets.ISO_8859_1))
                    .is("Authentication-Results")) {
                spill = Spill.DROPPING;
            } else {
                downstream.write(field, 0, fieldLength);
                spill = Spill.PASSING;
            }
            fieldLength = 0;
        }
    }

    private void append(byte b) {
        if (fieldLength == field.length) {
            field = Arrays.copyOf(field, field.length * 2);
        }
        field[fieldLength++] = b;
    }

    private void completeField() throws IOException {
        if (!inField) {
            return;
        }
        inField = false;
        if (spill == Spill.NONE) {
            int rawLength = fieldLength;
            if (rawLength >= 2 && field[rawLength - 2] == '\r' && field[rawLength - 1] == '\n') {
                rawLength -= 2;
            }
            HeaderField f = HeaderField.of(new String(field, 0, rawLength, StandardCharsets.ISO_8859_1));
            if (!drop.test(f)) {
                downstream.write(field, 0, fieldLength);
                if (keeping) {
                    fields.add(f);
                }
            }
        }
        spill = Spill.NONE;
        fieldLength = 0;
        if (field.length > 64 * 1024) {
            field = new byte[1024];
        }
    }

    private void startBody() {
        inHeader = false;
        header = new MessageHeader(fields, keeping);
        bodyHashes = keeping ? new BodyHashes(planner.apply(header)) : null;
    }

    /** Call once the content has ended: completes a header without body and the body hashes. */
    public void finish() throws IOException {
        if (inHeader) {
            completeField();
            if (crAtLineStart) {
                downstream.write('\r');
                crAtLineStart = false;
            }
            startBody();
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
