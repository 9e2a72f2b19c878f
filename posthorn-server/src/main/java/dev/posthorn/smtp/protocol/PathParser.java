package dev.posthorn.smtp.protocol;

import dev.posthorn.policy.Mailbox;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Parses {@code Path = "<" [ A-d-l ":" ] Mailbox ">"} of RFC 5321 §4.1.2, returning the mailbox and where the
 * path ended so that parameters can be read after it. Source routes are accepted and ignored (§4.1.2, App. C).
 * UTF-8 is accepted here; whether it is allowed (SMTPUTF8) is the caller's decision.
 */
final class PathParser {

    /** RFC 5321 §4.5.3.1: local-part 64, domain 255, path 256 octets. */
    static final int MAX_LOCAL_PART = 64;
    static final int MAX_DOMAIN = 255;
    static final int MAX_PATH = 256;

    sealed interface Result {
        record Parsed(Mailbox mailbox, int end) implements Result {
        }

        record NullPath(int end) implements Result {
        }

        record Invalid() implements Result {
        }

        record TooLong() implements Result {
        }
    }

    private final String text;
    private int pos;

    private PathParser(String text, int start) {
        this.text = text;
        this.pos = start;
    }

    /** Parses a path starting at {@code start}; {@code allowNull} admits {@code <>} (reverse-path only). */
    static Result parse(String text, int start, boolean allowNull) {
        return new PathParser(text, start).path(allowNull);
    }

    private Result path(boolean allowNull) {
        int open = pos;
        if (!eat('<')) {
            return new Result.Invalid();
        }
        if (eat('>')) {
            return allowNull ? new Result.NullPath(pos) : new Result.Invalid();
        }
        if (peek() == '@' && !skipSourceRoute()) {
            return new Result.Invalid();
        }
        if (!allowNull && text.regionMatches(true, pos, "postmaster>", 0, 11)) {
            pos += 11;
            return new Result.Parsed(Mailbox.postmaster(), pos);
        }
        String local = localPart();
        if (local == null || !eat('@')) {
            return new Result.Invalid();
        }
        String domain = peek() == '[' ? addressLiteral() : domain();
        if (domain == null || !eat('>')) {
            return new Result.Invalid();
        }
        if (utf8Length(local) > MAX_LOCAL_PART || utf8Length(domain) > MAX_DOMAIN
                || utf8Length(text.substring(open, pos)) > MAX_PATH) {
            return new Result.TooLong();
        }
        return new Result.Parsed(new Mailbox(local, domain), pos);
    }

    /** {@code A-d-l = At-domain *( "," At-domain )} followed by ":". */
    private boolean skipSourceRoute() {
        do {
            if (!eat('@') || domain() == null) {
                return false;
            }
        } while (eat(','));
        return eat(':');
    }

    private String localPart() {
        return peek() == '"' ? quotedString() : dotString();
    }

    private String dotString() {
        int start = pos;
        do {
            if (!atom()) {
                return null;
            }
        } while (eat('.'));
        return text.substring(start, pos);
    }

    private boolean atom() {
        int start = pos;
        while (pos < text.length() && isAtext(text.charAt(pos))) {
            pos++;
        }
        return pos > start;
    }

    /** Returns the canonical local part: unquoted when the content is a valid dot-string. */
    private String quotedString() {
        eat('"');
        StringBuilder content = new StringBuilder();
        while (pos < text.length()) {
            char c = text.charAt(pos++);
            if (c == '"') {
                String value = content.toString();
                return isDotString(value) ? value : quote(value);
            }
            if (c == '\\') {
                if (pos >= text.length() || text.charAt(pos) < 32 || text.charAt(pos) > 126) {
                    return null;
                }
                content.append(text.charAt(pos++));
            } else if ((c >= 32 && c <= 126) || c >= 0x80) {
                content.append(c);
            } else {
                return null;
            }
        }
        return null;
    }

    private static String quote(String value) {
        return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    static boolean isDotString(String value) {
        if (value.isEmpty() || value.startsWith(".") || value.endsWith(".") || value.contains("..")) {
            return false;
        }
        return value.chars().allMatch(c -> c == '.' || isAtext((char) c));
    }

    private String domain() {
        int start = pos;
        do {
            if (!subDomain()) {
                return null;
            }
        } while (eat('.'));
        return text.substring(start, pos);
    }

    /** {@code sub-domain = Let-dig [Ldh-str]}; U-labels (UTF-8) allowed, checked against SMTPUTF8 later. */
    private boolean subDomain() {
        int start = pos;
        while (pos < text.length() && isLdh(text.charAt(pos))) {
            pos++;
        }
        return pos > start && text.charAt(start) != '-' && text.charAt(pos - 1) != '-';
    }

    private String addressLiteral() {
        int start = pos;
        int close = text.indexOf(']', pos);
        if (close < 0) {
            return null;
        }
        String inside = text.substring(pos + 1, close);
        pos = close + 1;
        boolean valid = inside.regionMatches(true, 0, "IPv6:", 0, 5)
                ? isIpv6(inside.substring(5))
                : isIpv4(inside);
        return valid ? text.substring(start, pos) : null;
    }

    static boolean isIpv4(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit)
                    || Integer.parseInt(part) > 255) {
                return false;
            }
        }
        return true;
    }

    static boolean isIpv6(String s) {
        if (s.isEmpty() || !s.chars().allMatch(c -> isAsciiHex(c) || c == ':' || c == '.') || !s.contains(":")) {
            return false;
        }
        // InetAddress parses a literal only when the text starts with a hex digit or ":"; anything else (".:")
        // goes to the system resolver, which would let a client make us look names up.
        if (!isAsciiHex(s.charAt(0)) && s.charAt(0) != ':') {
            return false;
        }
        try {
            // Only hex digits, colons and dots reach this point, starting with one InetAddress takes for a
            // literal, so no lookup can happen: it parses or throws.
            return InetAddress.getByName(s) instanceof java.net.Inet6Address || s.contains(".");
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static boolean isAsciiHex(int c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    static boolean isAtext(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || "!#$%&'*+-/=?^_`{|}~".indexOf(c) >= 0 || c >= 0x80;
    }

    private static boolean isLdh(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c >= 0x80;
    }

    private static int utf8Length(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private boolean eat(char c) {
        if (peek() == c && pos < text.length()) {
            pos++;
            return true;
        }
        return false;
    }
}
