package dev.posthorn.codes.providers;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A pasted reply, multi-line reply or whole bounce made into one line of text that patterns can search:
 * a multi-line reply repeats its codes on every line ({@code 550-5.7.26 ...}, RFC 5321 §4.2.1), and MTAs
 * and mail programs wrap and indent it; none of that is part of the provider's words.
 */
public final class BounceText {

    /** "550-5.7.26 " or "550 5.7.26 ": a reply line's start, with its enhanced code (RFC 3463). */
    private static final Pattern MARKER = Pattern.compile(
            "(?<![\\w.\\-])([2-5]\\d\\d)[ -]([245]\\.\\d{1,3}\\.\\d{1,3})(?![\\w.])");
    /** An enhanced status code standing alone: "5.7.26" but not "1.5.7.26" or "5.7.26.1". */
    private static final Pattern ENHANCED = Pattern.compile("(?<![\\w.])([245]\\.\\d{1,3}\\.\\d{1,3})(?![\\w]|\\.\\d)");

    private BounceText() {
    }

    /**
     * The text on one line: the first reply marker kept, later repetitions of the same marker (continuation
     * lines) removed, line breaks and runs of white space made single spaces.
     */
    public static String flatten(String text) {
        String oneLine = text.replaceAll("[\\s\\u00a0]+", " ").strip();
        Matcher m = MARKER.matcher(oneLine);
        if (!m.find()) {
            return oneLine;
        }
        String basic = m.group(1);
        String enhanced = m.group(2);
        StringBuilder out = new StringBuilder(oneLine.length());
        out.append(oneLine, 0, m.end());
        int last = m.end();
        while (m.find()) {
            if (m.group(1).equals(basic) && m.group(2).equals(enhanced)) {
                out.append(oneLine, last, m.start());
                last = m.end();
            }
        }
        out.append(oneLine.substring(last));
        return out.toString().replaceAll(" {2,}", " ");
    }

    /** Every enhanced status code in the text, in order. */
    public static List<String> enhancedCodes(String text) {
        List<String> codes = new ArrayList<>();
        Matcher m = ENHANCED.matcher(text);
        while (m.find()) {
            codes.add(m.group(1));
        }
        return codes;
    }
}
