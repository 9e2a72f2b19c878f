package dev.posthorn.codes;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * The message for a code the catalogue does not know: what is wrong with it and which known codes are
 * nearest (same class, same subject), so that "5.7.99" points at the 5.7.x codes and "599" at the 5xx ones.
 */
public final class NearbyCodes {

    private final Catalogue catalogue;
    private final Words words;

    public NearbyCodes(Catalogue catalogue) {
        this.catalogue = catalogue;
        this.words = new Words(catalogue.language());
    }

    /** The hint for a code that {@link Catalogue#find} did not find. */
    public String hint(String code) {
        if (code.matches("\\d{3}")) {
            return basic(code);
        }
        if (code.matches("\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}")) {
            String canonical = withoutLeadingZeros(code);
            if (!canonical.equals(code) && catalogue.find(canonical).isPresent()) {
                return words.fill("unknown.leadingZeros", Map.of("code", code, "canonical", canonical));
            }
            return enhanced(code);
        }
        return words.fill("unknown.notACode", Map.of("input", code));
    }

    /** "5.07.01" as RFC 3463 writes it: "5.7.1". */
    private static String withoutLeadingZeros(String code) {
        String[] parts = code.split("\\.");
        return Integer.parseInt(parts[0]) + "." + Integer.parseInt(parts[1]) + "." + Integer.parseInt(parts[2]);
    }

    /** The hint for input in which no code was found at all. */
    public String notACode(String input) {
        return words.fill("unknown.notACode", Map.of("input", input));
    }

    private String basic(String code) {
        char digit = code.charAt(0);
        if (digit < '2' || digit > '5') {
            return words.fill("unknown.basicClass", Map.of("code", code));
        }
        List<String> sameClass = catalogue.basicCodes().stream().filter(c -> c.charAt(0) == digit).toList();
        return words.fill("unknown.basic", Map.of("code", code, "digit", String.valueOf(digit),
                "codes", String.join(", ", sameClass)));
    }

    private String enhanced(String code) {
        String[] parts = code.split("\\.");
        int digit = Integer.parseInt(parts[0]);
        if (digit != 2 && digit != 4 && digit != 5) {
            return words.fill("unknown.enhancedClass", Map.of("code", code));
        }
        String key = "X." + Integer.parseInt(parts[1]) + "." + Integer.parseInt(parts[2]);
        Optional<CodeFacts> facts = catalogue.facts(key);
        if (facts.isPresent()) {
            List<String> usedAs = facts.get().classes().stream().map(c -> c + key.substring(1)).toList();
            return words.fill("unknown.enhancedWrongClass", Map.of("key", key,
                    "title", catalogue.language().enhanced().get(key).title(),
                    "digit", String.valueOf(digit), "codes", words.join(usedAs)));
        }
        String subject = "X." + Integer.parseInt(parts[1]) + ".";
        List<String> sameSubject = catalogue.enhancedKeys().stream()
                .filter(k -> k.startsWith(subject))
                .filter(k -> catalogue.facts(k).orElseThrow().classes().contains(digit))
                .map(k -> digit + k.substring(1))
                .toList();
        if (sameSubject.isEmpty()) {
            List<String> subjects = IntStream.rangeClosed(0, 7)
                    .mapToObj(s -> words.phrase("subject." + s)).toList();
            return words.fill("unknown.enhancedSubject", Map.of("code", code, "subject", parts[1],
                    "subjects", String.join("; ", subjects)));
        }
        return words.fill("unknown.enhanced", Map.of("code", code, "prefix", digit + "." + parts[1],
                "codes", String.join(", ", sameSubject)));
    }

    /** compare takes one code per side; "530 5.7.0" names two. */
    public String onePerSide(String side, List<String> codes) {
        return words.fill("unknown.onePerSide", Map.of("input", side, "codes", words.join(codes)));
    }

    /** RFC 3463 §2: a note when a pasted line's enhanced class is not the reply's first digit. */
    public String classMismatch(Lookup lookup) {
        return words.fill("warn.classMismatch", Map.of("basic", lookup.basic(), "enhanced", lookup.enhanced()));
    }
}
