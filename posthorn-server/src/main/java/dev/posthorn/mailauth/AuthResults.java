package dev.posthorn.mailauth;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Builds an Authentication-Results field (RFC 8601 §2.2): {@code authserv-id; method=result reason=...
 * ptype.property=value; ...}. Every value that comes from the message or from DNS goes through
 * {@link #value}, which leaves tokens and plain addresses as they are and quotes everything else, with
 * control characters dropped: nothing a sender writes can end the field or add a result of its own.
 */
public final class AuthResults {

    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+\\-.0-9A-Z^_`a-z{|}~]+");
    private static final Pattern DOT_ATOM_ADDRESS = Pattern.compile(
            "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*");

    private final List<String> results = new ArrayList<>();

    /**
     * Adds {@code method=result}, an optional comment, a reason, and properties given as pairs
     * ("smtp.mailfrom", value, ...); null values are left out.
     */
    public AuthResults add(String method, String result, String comment, String reason, String... properties) {
        StringBuilder s = new StringBuilder(method).append('=').append(result);
        if (comment != null) {
            s.append(" (").append(comment(comment)).append(')');
        }
        if (reason != null) {
            s.append(" reason=").append(value(reason));
        }
        for (int i = 0; i + 1 < properties.length; i += 2) {
            if (properties[i + 1] != null) {
                s.append(' ').append(properties[i]).append('=').append(value(properties[i + 1]));
            }
        }
        results.add(s.toString());
        return this;
    }

    public boolean isEmpty() {
        return results.isEmpty();
    }

    /** The results after the authserv-id, one per line: what ARC-Authentication-Results carries too. */
    public String payload() {
        return results.isEmpty() ? "none" : String.join(";\r\n\t", results);
    }

    /** The whole field, ending in CRLF. */
    public String field(String authservId) {
        return "Authentication-Results: " + authservId + ";\r\n\t" + payload() + "\r\n";
    }

    /** A value as RFC 8601 §2.2 allows it: token, local-part@domain, or else a quoted-string. */
    public static String value(String raw) {
        String clean = raw.codePoints().filter(c -> c >= 0x20 && c != 0x7f)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
        if (!clean.isEmpty() && (TOKEN.matcher(clean).matches() || DOT_ATOM_ADDRESS.matcher(clean).matches())) {
            return clean;
        }
        return '"' + clean.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    /** Text for a comment: no parentheses or backslashes to unbalance it, no control characters. */
    private static String comment(String raw) {
        return raw.codePoints().filter(c -> c >= 0x20 && c != 0x7f && c != '(' && c != ')' && c != '\\')
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
    }

    /**
     * True when an Authentication-Results field names this authserv-id (RFC 8601 §5: such fields arriving
     * from outside are forgeries to remove), or when its authserv-id cannot be read at all: a reader downstream
     * must never be left a field it might take for ours. The id is read as §2.2 writes it, after any CFWS
     * (nested comments, tabs, folding) and up to CFWS or ";"; compared without case and without a final dot.
     */
    public static boolean claims(HeaderField field, String authservId) {
        if (!field.is("Authentication-Results")) {
            return false;
        }
        String id = authservId(field.value());
        return id == null || comparable(id).equals(comparable(authservId));
    }

    /** The authserv-id of a field value (unfolded), or null when there is none or the syntax is broken. */
    static String authservId(String value) {
        int i = skipCfws(value, 0);
        if (i < 0 || i == value.length()) {
            return null;
        }
        StringBuilder id = new StringBuilder();
        if (value.charAt(i) == '"') {
            for (i++; i < value.length() && value.charAt(i) != '"'; i++) {
                if (value.charAt(i) == '\\' && i + 1 < value.length()) {
                    i++;
                }
                id.append(value.charAt(i));
            }
            if (i == value.length()) {
                return null; // unterminated quoted-string
            }
        } else {
            for (; i < value.length() && !separator(value.charAt(i)) && value.charAt(i) != '('
                    && value.charAt(i) != ';' && value.charAt(i) != '"'; i++) {
                id.append(value.charAt(i));
            }
        }
        return id.isEmpty() ? null : id.toString();
    }

    /** The index after CFWS (RFC 5322 §3.2.2, comments nest) from {@code i}; -1 for an unclosed comment. */
    private static int skipCfws(String value, int i) {
        int depth = 0;
        for (; i < value.length(); i++) {
            char c = value.charAt(i);
            if (depth > 0 && c == '\\') {
                i++;
            } else if (c == '(') {
                depth++;
            } else if (c == ')' && depth > 0) {
                depth--;
            } else if (depth == 0 && !separator(c)) {
                return i;
            }
        }
        return depth == 0 ? i : -1;
    }

    /** White space as any reader might take it: ASCII controls and space, and Unicode spaces. */
    private static boolean separator(char c) {
        return c <= 0x20 || c == 0x7f || Character.isSpaceChar(c) || Character.isWhitespace(c);
    }

    private static String comparable(String id) {
        String lower = id.toLowerCase(Locale.ROOT);
        return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
    }
}
