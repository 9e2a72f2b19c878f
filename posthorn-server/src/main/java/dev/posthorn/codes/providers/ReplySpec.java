package dev.posthorn.codes.providers;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The reply a provider entry is about, as its file writes it: {@code "550 5.7.26"}, a range of enhanced
 * details that share one meaning ({@code "550 5.7.606-649"}, Microsoft's banned-IP block), or a basic code
 * alone ({@code "554"}, for providers that send no enhanced code with that text).
 */
public record ReplySpec(int basic, Integer enhancedClass, Integer subject, Integer detailFrom, Integer detailTo) {

    private static final Pattern FORM = Pattern.compile("([2-5]\\d\\d)(?: ([245])\\.(\\d{1,3})\\.(\\d{1,3})(?:-(\\d{1,3}))?)?");

    public static ReplySpec parse(String text) {
        Matcher m = FORM.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("reply '" + text + "' is not \"NNN\", \"NNN c.s.d\" or \"NNN c.s.d-e\"");
        }
        int basic = Integer.parseInt(m.group(1));
        if (m.group(2) == null) {
            return new ReplySpec(basic, null, null, null, null);
        }
        int from = Integer.parseInt(m.group(4));
        int to = m.group(5) == null ? from : Integer.parseInt(m.group(5));
        if (to < from || m.group(2).charAt(0) != m.group(1).charAt(0)) {
            // RFC 3463 §2: the enhanced class repeats the reply's first digit.
            throw new IllegalArgumentException("reply '" + text + "': bad range or class differs from the reply code");
        }
        return new ReplySpec(basic, Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)), from, to);
    }

    public boolean hasEnhanced() {
        return enhancedClass != null;
    }

    /** True when {@code code} ("5.7.612") is one this entry covers. */
    public boolean covers(String code) {
        if (!hasEnhanced()) {
            return false;
        }
        String[] parts = code.split("\\.");
        if (parts.length != 3) {
            return false;
        }
        int detail = Integer.parseInt(parts[2]);
        return Integer.parseInt(parts[0]) == enhancedClass && Integer.parseInt(parts[1]) == subject
                && detail >= detailFrom && detail <= detailTo;
    }

    /** The codes the generic catalogue can explain: the basic code, and the enhanced code unless it is a range. */
    public List<String> catalogueCodes() {
        List<String> codes = new ArrayList<>(List.of(String.valueOf(basic)));
        if (hasEnhanced() && detailFrom.equals(detailTo)) {
            codes.add(enhancedClass + "." + subject + "." + detailFrom);
        }
        return codes;
    }

    /** As a reader sees it: "550 5.7.26", "550 5.7.606–649", "554". */
    @Override
    public String toString() {
        if (!hasEnhanced()) {
            return String.valueOf(basic);
        }
        String enhanced = enhancedClass + "." + subject + "." + detailFrom;
        return basic + " " + enhanced + (detailFrom.equals(detailTo) ? "" : "–" + detailTo);
    }
}
