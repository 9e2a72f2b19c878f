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
     * from outside are forgeries to remove). Comments and a version after the id are ignored.
     */
    public static boolean claims(HeaderField field, String authservId) {
        if (!field.is("Authentication-Results")) {
            return false;
        }
        String value = field.value().replaceAll("\\([^()]*\\)", " ").strip();
        int semi = value.indexOf(';');
        String first = (semi < 0 ? value : value.substring(0, semi)).strip();
        int space = first.indexOf(' ');
        String id = (space < 0 ? first : first.substring(0, space));
        if (id.startsWith("\"") && id.endsWith("\"") && id.length() >= 2) {
            id = id.substring(1, id.length() - 1);
        }
        return id.toLowerCase(Locale.ROOT).equals(authservId.toLowerCase(Locale.ROOT));
    }
}
