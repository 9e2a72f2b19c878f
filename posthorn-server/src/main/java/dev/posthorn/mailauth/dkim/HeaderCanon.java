package dev.posthorn.mailauth.dkim;

import dev.posthorn.mailauth.HeaderField;
import java.util.Locale;

/** Header canonicalization, RFC 6376 §3.4.1 (simple) and §3.4.2 (relaxed), on raw octets. */
public final class HeaderCanon {

    private HeaderCanon() {
    }

    /** The field canonicalized, followed by CRLF. */
    public static String canonicalize(HeaderField field, boolean relaxed) {
        return canonicalize(field.raw(), relaxed) + "\r\n";
    }

    /** The field canonicalized, without a CRLF (the signature field itself, RFC 6376 §3.7). */
    public static String canonicalize(String raw, boolean relaxed) {
        if (!relaxed) {
            return raw;
        }
        int colon = raw.indexOf(':');
        String name = stripWsp(colon < 0 ? raw : raw.substring(0, colon)).toLowerCase(Locale.ROOT);
        String value = colon < 0 ? "" : raw.substring(colon + 1);
        // Unfold, turn each run of WSP into one SP, drop WSP at both ends of the value.
        value = stripWsp(value.replace("\r\n", "").replaceAll("[ \\t]+", " "));
        return name + ":" + value;
    }

    /**
     * Drops WSP (SP and HTAB only, RFC 5234) at both ends: String.strip would also drop form feeds and the
     * separator controls, which a signer following the RFC keeps, and the signature would not verify.
     */
    private static String stripWsp(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && (s.charAt(start) == ' ' || s.charAt(start) == '\t')) {
            start++;
        }
        while (end > start && (s.charAt(end - 1) == ' ' || s.charAt(end - 1) == '\t')) {
            end--;
        }
        return s.substring(start, end);
    }

    /** The signature field with the value of its b= tag emptied (RFC 6376 §3.7, RFC 8617 §4.1.3). */
    public static String withEmptySignature(String raw) {
        // b= as a tag start: at the beginning of the value or after ';', optional FWS; never "bh=".
        int colon = raw.indexOf(':');
        int i = colon + 1;
        while (i < raw.length()) {
            int tagStart = skipFws(raw, i);
            if (tagStart + 1 < raw.length() && raw.charAt(tagStart) == 'b') {
                int after = skipFws(raw, tagStart + 1);
                if (after < raw.length() && raw.charAt(after) == '=') {
                    int end = raw.indexOf(';', after);
                    return raw.substring(0, after + 1) + (end < 0 ? "" : raw.substring(end));
                }
            }
            int next = raw.indexOf(';', i);
            if (next < 0) {
                break;
            }
            i = next + 1;
        }
        return raw;
    }

    private static int skipFws(String s, int i) {
        while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t' || s.charAt(i) == '\r'
                || s.charAt(i) == '\n')) {
            i++;
        }
        return i;
    }
}
