package dev.posthorn.mailauth.dkim;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A tag-list (RFC 6376 §3.2): {@code tag=value; tag=value}, whitespace around tags and values ignored, a
 * repeated tag an error. Used by DKIM-Signature, DKIM key records, ARC and DMARC records alike.
 */
public final class Tags {

    private final Map<String, String> values;

    private Tags(Map<String, String> values) {
        this.values = values;
    }

    /** @throws IllegalArgumentException for a malformed list or a duplicate tag */
    public static Tags parse(String text) {
        Map<String, String> values = new LinkedHashMap<>();
        String unfolded = text.replace("\r\n", "");
        for (String spec : unfolded.split(";", -1)) {
            if (spec.isBlank()) {
                continue; // a trailing ";" is allowed
            }
            int eq = spec.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("tag without '=': " + spec.strip());
            }
            String name = spec.substring(0, eq).strip();
            if (!name.matches("[A-Za-z][A-Za-z0-9_]*")) {
                throw new IllegalArgumentException("bad tag name '" + name + "'");
            }
            String value = spec.substring(eq + 1).strip();
            if (values.putIfAbsent(name, value) != null) {
                throw new IllegalArgumentException("tag " + name + "= appears twice");
            }
        }
        return new Tags(Collections.unmodifiableMap(values));
    }

    public String get(String tag) {
        return values.get(tag);
    }

    public String get(String tag, String fallback) {
        return values.getOrDefault(tag, fallback);
    }

    public boolean has(String tag) {
        return values.containsKey(tag);
    }

    public Map<String, String> asMap() {
        return values;
    }

    /** The first tag of the list, or null (DKIM key records and DMARC records must start with v=). */
    public String firstTag() {
        return values.isEmpty() ? null : values.keySet().iterator().next();
    }

    /** A base64 value with its folding whitespace removed (RFC 6376 §2.4 allows FWS inside it). */
    public static String compactBase64(String value) {
        return value == null ? null : value.replaceAll("[ \\t\\r\\n]", "");
    }
}
