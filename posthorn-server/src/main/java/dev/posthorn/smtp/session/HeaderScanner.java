package dev.posthorn.smtp.session;

import dev.posthorn.policy.HeaderFrom;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Watches the header section of a message as it streams past, byte by byte, and keeps only what policy needs:
 * the number of Received: fields (loop detection, RFC 5321 §6.3) and the whole unfolded values of From: and
 * Sender: (sender binding, {@link HeaderFrom}). It stops at the empty line that ends the header, so the body
 * costs nothing.
 *
 * <p>What a mail reader could take for a header field must not slip past the check, so the header is read
 * strictly (RFC 5322 §2.2, §3.6): only CRLF ends a line, every line is a field ({@code name *WSP ":"}) or the
 * continuation of one, and there is no NUL. Anything else (a bare CR or LF that a lenient reader would take
 * for a line end, a line that is not a field, a fold with nothing to continue) makes the header
 * {@link HeaderFrom.Malformed}. A header longer than {@link #MAX_HEADER_OCTETS}, or address fields longer
 * than {@link #MAX_ADDRESS_FIELD_OCTETS}, is {@link HeaderFrom.Unexamined}: policy refuses either rather
 * than let it through unread.
 */
final class HeaderScanner {

    /** How much of a header section the server reads; RFC 5322 sets no limit, Postfix keeps 100 KiB. */
    static final int MAX_HEADER_OCTETS = 1024 * 1024;
    /** All From: and Sender: values together: room for hundreds of mailboxes, bounded memory per session. */
    static final int MAX_ADDRESS_FIELD_OCTETS = 64 * 1024;
    private static final int MAX_KEPT_NAME = 16;

    private enum Line { START, NAME, NAME_SPACE, VALUE }

    private enum Field { NONE, FROM, SENDER, OTHER }

    private boolean done;
    private long seen;
    private boolean lastWasCr;
    private Line line = Line.START;
    private Field field = Field.NONE;
    private final StringBuilder name = new StringBuilder(MAX_KEPT_NAME);
    private ByteArrayOutputStream value;
    private int addressOctets;
    private int receivedCount;
    private final List<byte[]> from = new ArrayList<>(1);
    private final List<byte[]> sender = new ArrayList<>(1);
    private String malformed;
    private boolean unexamined;
    /** The verdict once the header is complete: it cannot change any more, so it is parsed once. */
    private HeaderFrom.Result verdict;
    /** How many times From:/Sender: were parsed: the work an unauthenticated client could cause, bounded. */
    private int parses;

    boolean done() {
        return done;
    }

    void accept(byte b) {
        if (done) {
            return;
        }
        if (++seen > MAX_HEADER_OCTETS) {
            unexamined = true;
            done = true;
            return;
        }
        if (lastWasCr) {
            lastWasCr = false;
            if (b == '\n') {
                lineEnded();
                return;
            }
            malformed("a bare CR in the header");
            content((byte) '\r');
        }
        if (b == '\r') {
            lastWasCr = true;
            return;
        }
        if (b == '\n') {
            malformed("a bare LF in the header");
        } else if (b == 0) {
            malformed("a NUL in the header");
        }
        content(b);
    }

    /** One octet of a line other than its CRLF. */
    private void content(byte b) {
        switch (line) {
            case START -> {
                if (b == ' ' || b == '\t') {
                    // RFC 5322 §2.2.3: a fold continues the field above; with none above it continues nothing.
                    if (field == Field.NONE) {
                        malformed("the header starts with a folded line");
                    }
                    line = Line.VALUE;
                    keep(b);
                    return;
                }
                finishField();
                line = Line.NAME;
                name.setLength(0);
                nameOctet(b);
            }
            case NAME -> nameOctet(b);
            case NAME_SPACE -> {
                // RFC 5322 §4.5.3 (obs-optional): white space may stand between the name and the colon, no more.
                if (b == ':') {
                    fieldStarts();
                } else if (b != ' ' && b != '\t') {
                    malformed("a header line that is not a field");
                }
            }
            case VALUE -> keep(b);
        }
    }

    /** RFC 5322 §3.6.8: field-name = 1*ftext, printable US-ASCII except the colon. */
    private void nameOctet(byte b) {
        if (b == ':') {
            if (name.isEmpty()) {
                malformed("a header field without a name");
            }
            fieldStarts();
        } else if (b == ' ' || b == '\t') {
            line = Line.NAME_SPACE;
        } else if (b < 33 || b > 126) {
            malformed("a header line that is not a field");
        } else if (name.length() < MAX_KEPT_NAME) {
            // Longer names are cut short: no name policy reads is that long, so a cut one never matches.
            name.append((char) b);
        }
    }

    private void fieldStarts() {
        line = Line.VALUE;
        String n = name.toString();
        if (n.equalsIgnoreCase("From")) {
            field = Field.FROM;
            value = unexamined ? null : new ByteArrayOutputStream(64);
        } else if (n.equalsIgnoreCase("Sender")) {
            field = Field.SENDER;
            value = unexamined ? null : new ByteArrayOutputStream(64);
        } else {
            field = Field.OTHER;
            if (n.equalsIgnoreCase("Received")) {
                receivedCount++;
            }
        }
    }

    /** A value octet: kept for the fields policy reads. Unfolding (RFC 5322 §2.2.3) drops only the CRLF. */
    private void keep(byte b) {
        if (value == null) {
            return;
        }
        if (++addressOctets > MAX_ADDRESS_FIELD_OCTETS) {
            // Sender binding cannot say anything now, but the scan goes on: the Received: fields after this one
            // still count for loop detection (RFC 5321 §6.3), or a long From: would hide a mail loop.
            unexamined = true;
            value = null;
            return;
        }
        value.write(b);
    }

    private void lineEnded() {
        switch (line) {
            case START -> {
                // The empty line: end of the header section (RFC 5322 §2.1).
                finishField();
                done = true;
            }
            case NAME, NAME_SPACE -> malformed("a header line that is not a field");
            case VALUE -> {
            }
        }
        line = Line.START;
    }

    private void finishField() {
        if (value != null) {
            (field == Field.FROM ? from : sender).add(value.toByteArray());
            value = null;
        }
        field = Field.NONE;
    }

    private void malformed(String reason) {
        if (malformed == null) {
            malformed = reason;
        }
    }

    int receivedCount() {
        return receivedCount;
    }

    /**
     * What the header says about author and sender, as if the content ended here: without the empty line, all of
     * it was header (RFC 5322 §3.5, the body is optional). Reads the state without changing it, so it may be
     * asked before the end too (the fuzz test does); the session asks only at the end of the content, and only
     * when sender binding applies.
     */
    HeaderFrom.Result senders() {
        if (verdict != null) {
            return verdict;
        }
        HeaderFrom.Result result = read();
        if (done) {
            verdict = result;
        }
        return result;
    }

    int parses() {
        return parses;
    }

    private HeaderFrom.Result read() {
        String problem = malformed;
        List<byte[]> fromValues = from;
        List<byte[]> senderValues = sender;
        if (!done) {
            if (problem == null && lastWasCr) {
                problem = "a bare CR in the header";
            }
            if (problem == null && (line == Line.NAME || line == Line.NAME_SPACE)) {
                problem = "a header line that is not a field";
            }
            if (value != null) {
                fromValues = new ArrayList<>(from);
                senderValues = new ArrayList<>(sender);
                (field == Field.FROM ? fromValues : senderValues).add(value.toByteArray());
            }
        }
        if (problem != null) {
            return new HeaderFrom.Malformed(problem);
        }
        if (unexamined) {
            return new HeaderFrom.Unexamined();
        }
        parses++;
        return HeaderFrom.parse(fromValues, senderValues);
    }
}
