package dev.posthorn.mailauth.records;

import java.util.List;
import java.util.Map;

/**
 * A record a domain needs for this server, ready to paste into a zone file, with the phrase (and its values)
 * that explains it. TXT data is given as its character-strings, each at most 255 octets (RFC 1035 §3.3.14).
 */
public record ExpectedRecord(String name, String type, List<String> data, String phrase, Map<String, String> values) {

    public ExpectedRecord {
        data = List.copyOf(data);
        values = Map.copyOf(values);
    }

    /** The record in zone-file syntax; long TXT values in parentheses, one string per line. */
    public String zoneLine() {
        String owner = name.endsWith(".") ? name : name + ".";
        if (!type.equals("TXT")) {
            return owner + " 3600 IN " + type + " " + String.join(" ", data);
        }
        if (data.size() == 1) {
            return owner + " 3600 IN TXT \"" + data.get(0) + "\"";
        }
        StringBuilder s = new StringBuilder(owner).append(" 3600 IN TXT (");
        for (String part : data) {
            s.append("\n    \"").append(part).append('"');
        }
        return s.append(" )").toString();
    }

    /** Splits a TXT value into character-strings of at most 255 octets. */
    public static List<String> strings(String value) {
        List<String> parts = new java.util.ArrayList<>();
        for (int i = 0; i < value.length(); i += 255) {
            parts.add(value.substring(i, Math.min(value.length(), i + 255)));
        }
        return parts;
    }
}
