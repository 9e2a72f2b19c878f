package dev.posthorn.mailauth;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One header field exactly as it came: {@code raw} is the whole field, name, colon, value and folding, without
 * its final CRLF, one char per octet (ISO-8859-1), so that canonicalization and signatures see the octets
 * the sender sent, UTF-8 included.
 */
public record HeaderField(String name, String raw) {

    /** Parses a field from its raw octets; a line without a colon gets the empty name (it matches nothing). */
    public static HeaderField of(String raw) {
        int colon = raw.indexOf(':');
        String name = colon < 0 ? "" : raw.substring(0, colon).strip();
        return new HeaderField(name, raw);
    }

    public static HeaderField ofUtf8(String text) {
        return of(new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1));
    }

    public boolean is(String fieldName) {
        return name.equalsIgnoreCase(fieldName);
    }

    public String lowerName() {
        return name.toLowerCase(Locale.ROOT);
    }

    /** What follows the colon, folding included, as octets. */
    public String rawValue() {
        int colon = raw.indexOf(':');
        return colon < 0 ? "" : raw.substring(colon + 1);
    }

    /** The value unfolded and decoded as UTF-8 (RFC 6532), for reading addresses and tags. */
    public String value() {
        String unfolded = rawValue().replace("\r\n", "");
        return new String(unfolded.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8).strip();
    }
}
