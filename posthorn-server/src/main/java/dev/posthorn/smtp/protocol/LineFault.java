package dev.posthorn.smtp.protocol;

/** What was wrong with a command line as read from the wire, if anything. */
public enum LineFault {
    NONE,
    /** Longer than the command buffer: the line was read to its CRLF and discarded (never executed). */
    TOO_LONG,
    /** Contained a LF not preceded by CR: one malformed line, never two commands (RFC 5321 §2.3.8). */
    BARE_LF,
    /** Contained a CR not followed by LF. */
    BARE_CR
}
