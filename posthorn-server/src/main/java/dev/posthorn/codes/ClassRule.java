package dev.posthorn.codes;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the RFC that defines an enhanced code says about its class, as RFC 3463 §3 does code by code
 * ("This code is only useful for permanent failures", "useful only as a persistent transient error").
 * A code the RFC leaves open has no rule.
 *
 * @param classes the class digits the RFC's description allows
 * @param source  the section that says so, such as {@code RFC 3463 §3.2}
 * @param instead for a class the RFC rules out, the code to use in its place ({@code 4 -> X.4.3} for X.1.2:
 *                a temporary DNS failure); may be empty
 */
public record ClassRule(List<Integer> classes, String source, Map<Integer, String> instead) {

    public ClassRule {
        classes = List.copyOf(Objects.requireNonNull(classes, "classes"));
        Objects.requireNonNull(source, "source");
        instead = instead == null ? Map.of() : Map.copyOf(instead);
    }

    public boolean allows(int digit) {
        return classes.contains(digit);
    }

    /** "5", "45", "245": the key of the sentence that words this rule in a language file. */
    String key() {
        StringBuilder key = new StringBuilder();
        classes.stream().sorted().forEach(key::append);
        return key.toString();
    }
}
