package dev.posthorn.probe;

import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One reply as the probe received it: the three-digit code, the enhanced status code when the first line
 * starts with one (RFC 2034/3463), and the text of every line without code and separator.
 *
 * @param lines the raw lines as received, "250-PIPELINING", without CRLF
 */
public record SmtpReply(int code, String enhanced, List<String> lines) {

    private static final Pattern ENHANCED = Pattern.compile("^([245])\\.(\\d{1,3})\\.(\\d{1,3})(?: |$)");

    public SmtpReply {
        lines = List.copyOf(lines);
        if (lines.isEmpty()) {
            throw new IllegalArgumentException("a reply has at least one line");
        }
    }

    /** Builds a reply from its raw lines; the enhanced code is taken when its class equals the reply's. */
    static SmtpReply of(int code, List<String> rawLines) {
        String first = rawLines.getFirst();
        String text = first.length() > 4 ? first.substring(4) : "";
        Matcher m = ENHANCED.matcher(text);
        String enhanced = null;
        if (m.find() && m.group(1).charAt(0) - '0' == code / 100) {
            enhanced = m.group(1) + "." + m.group(2) + "." + m.group(3);
        }
        return new SmtpReply(code, enhanced, rawLines);
    }

    public int replyClass() {
        return code / 100;
    }

    public boolean isPositive() {
        return code < 400;
    }

    public boolean isTransient() {
        return code >= 400 && code < 500;
    }

    public Optional<String> enhancedCode() {
        return Optional.ofNullable(enhanced);
    }

    /** The text of each line after "NNN-" or "NNN ". */
    public List<String> texts() {
        return lines.stream().map(l -> l.length() > 4 ? l.substring(4) : "").toList();
    }

    /** The first line as received: "530 5.7.0 Authentication required". */
    public String firstLine() {
        return lines.getFirst();
    }

    /** All lines' text in one string, for matching words such as "relay" or "STARTTLS". */
    public String allText() {
        return String.join(" ", texts());
    }

    @Override
    public String toString() {
        return firstLine();
    }
}
