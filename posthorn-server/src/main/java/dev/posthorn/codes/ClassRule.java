package dev.posthorn.codes;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What the RFC that defines an enhanced code says about its class, in its own words, as RFC 3463 §3 does code by
 * code ("This code is only useful for permanent failures", "This code should be used as a permanent failure").
 * A code the RFC leaves open has no rule.
 *
 * @param classes the class digits the RFC's description allows
 * @param source  the section that says so, such as {@code RFC 3463 §3.2}
 * @param says    the RFC's sentence on the class, quoted as written (English, whatever the language of the page)
 * @param instead for a class the RFC rules out, the code to use in its place ({@code 4 -> X.4.3} for X.1.2:
 *                a temporary DNS failure); may be empty
 */
public record ClassRule(List<Integer> classes, String source, String says, Map<Integer, String> instead) {

    // "should be used as a permanent failure" (X.2.3) is advice, not "only useful for" (X.1.2).
    private static final Pattern ADVICE = Pattern.compile("\\bshould\\b", Pattern.CASE_INSENSITIVE);

    public ClassRule {
        classes = List.copyOf(Objects.requireNonNull(classes, "classes"));
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(says, "says");
        instead = instead == null ? Map.of() : Map.copyOf(instead);
    }

    public boolean allows(int digit) {
        return classes.contains(digit);
    }

    /** True when the RFC only advises the class ("should be used as"), so another class goes against advice. */
    public boolean advisory() {
        return ADVICE.matcher(says).find();
    }
}
