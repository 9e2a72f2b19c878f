package dev.posthorn.codes;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A "Learn more" reference such as {@code RFC 5321 §4.2.3}, with the address where it can be read. */
public record Reference(String label) {

    private static final Pattern RFC = Pattern.compile("RFC (\\d{3,5})(?: §([0-9A-Z.]+))?");
    private static final String REGISTRY = "https://www.iana.org/assignments/smtp-enhanced-status-codes";

    /** True when {@link #url()} knows where to send the reader; the catalogue test requires it. */
    public boolean isResolvable() {
        return RFC.matcher(label).matches() || label.startsWith("IANA ") || label.startsWith("draft-");
    }

    public String url() {
        Matcher rfc = RFC.matcher(label);
        if (rfc.matches()) {
            String base = "https://www.rfc-editor.org/rfc/rfc" + rfc.group(1);
            if (rfc.group(2) == null) {
                return base;
            }
            // The RFC Editor's HTML names sections "section-4.2.3" and appendices "appendix-A".
            String section = rfc.group(2);
            return base + (Character.isLetter(section.charAt(0)) ? "#appendix-" : "#section-") + section;
        }
        if (label.startsWith("draft-")) {
            return "https://datatracker.ietf.org/doc/" + label + "/";
        }
        return REGISTRY;
    }
}
