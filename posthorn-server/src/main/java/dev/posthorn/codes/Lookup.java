package dev.posthorn.codes;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the user asked about: a basic code ({@code 530}), an enhanced code ({@code 5.7.0}), or a reply line
 * pasted from a log or a bounce ({@code 530 5.7.0 Authentication required}, {@code 550-5.1.1 ...},
 * {@code ... said: 550 5.1.1 <a@example.com>: User unknown}).
 *
 * @param basic    the three-digit code found, or null
 * @param enhanced the enhanced code found, or null
 */
public record Lookup(String input, String basic, String enhanced) {

    private static final Pattern BASIC_ONLY = Pattern.compile("\\d{3}");
    private static final Pattern ENHANCED_ONLY = Pattern.compile("\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    // A reply code starts a line or follows a space or "said:"; it never sits inside an address, a date
    // or an IP literal, hence the characters excluded before it. RFC 5321 §4.2: "NNN " or "NNN-".
    private static final Pattern REPLY = Pattern.compile(
            "(?<![\\w.:\\-\\[=/])([2-5]\\d\\d)(?:[ -]|$)(?:\\s*([245]\\.\\d{1,3}\\.\\d{1,3})(?![\\w.]))?");
    private static final Pattern ENHANCED_ANYWHERE = Pattern.compile("(?<![\\w.])([245]\\.\\d{1,3}\\.\\d{1,3})(?![\\w.])");

    public static Lookup parse(String input) {
        String trimmed = input.strip();
        if (BASIC_ONLY.matcher(trimmed).matches()) {
            return new Lookup(trimmed, trimmed, null);
        }
        if (ENHANCED_ONLY.matcher(trimmed).matches()) {
            return new Lookup(trimmed, null, trimmed);
        }
        return parseLine(trimmed);
    }

    private static Lookup parseLine(String line) {
        List<String[]> candidates = new ArrayList<>();
        Matcher m = REPLY.matcher(line);
        while (m.find()) {
            candidates.add(new String[] {m.group(1), m.group(2)});
        }
        // Prefer "550 5.1.1": a code followed by an enhanced code is a reply, a lone number may be a size.
        for (String[] c : candidates) {
            if (c[1] != null) {
                return new Lookup(line, c[0], c[1]);
            }
        }
        Matcher enhanced = ENHANCED_ANYWHERE.matcher(line);
        String lone = enhanced.find() ? enhanced.group(1) : null;
        if (!candidates.isEmpty()) {
            return new Lookup(line, candidates.getFirst()[0], lone);
        }
        return new Lookup(line, null, lone);
    }

    public boolean isEmpty() {
        return basic == null && enhanced == null;
    }

    /** The codes found, basic first, as the user wrote them. */
    public List<String> codes() {
        List<String> codes = new ArrayList<>(2);
        if (basic != null) {
            codes.add(basic);
        }
        if (enhanced != null) {
            codes.add(enhanced);
        }
        return codes;
    }

    /** RFC 3463 §2: the enhanced code's class must be the reply's first digit; a pasted "530 4.7.0" breaks that. */
    public boolean classesDisagree() {
        return basic != null && enhanced != null && basic.charAt(0) != enhanced.charAt(0);
    }
}
