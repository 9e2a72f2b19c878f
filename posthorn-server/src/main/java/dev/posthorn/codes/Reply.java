package dev.posthorn.codes;

import java.util.List;
import java.util.Objects;

/**
 * One SMTP reply as a value: basic code, optional enhanced status code (RFC 3463) and text lines.
 * Replies are built from the catalogue by name ({@link ReplyName}), never assembled in handlers.
 */
public record Reply(int code, String enhanced, List<String> lines) {

    public Reply {
        if (code < 200 || code > 599) {
            throw new IllegalArgumentException("reply code out of range: " + code);
        }
        Objects.requireNonNull(lines, "lines");
        if (lines.isEmpty()) {
            throw new IllegalArgumentException("a reply needs at least one line");
        }
        lines = List.copyOf(lines);
    }

    public Reply(int code, String enhanced, String text) {
        this(code, enhanced, List.of(text));
    }

    public boolean isPermanent() {
        return code >= 500;
    }

    /** The reply as it goes on the wire: every line CRLF-terminated, "NNN-" on all but the last (RFC 5321 §4.2). */
    public String wire() {
        StringBuilder out = new StringBuilder(64);
        for (int i = 0; i < lines.size(); i++) {
            out.append(code).append(i == lines.size() - 1 ? ' ' : '-');
            // RFC 2034: the enhanced code starts every line of the text.
            if (enhanced != null) {
                out.append(enhanced).append(' ');
            }
            out.append(lines.get(i)).append("\r\n");
        }
        return out.toString();
    }

    /** The first line without CRLF, for logs: "530 5.7.0 Authentication required". */
    public String summary() {
        return enhanced == null ? code + " " + lines.get(0) : code + " " + enhanced + " " + lines.get(0);
    }

    @Override
    public String toString() {
        return summary();
    }
}
