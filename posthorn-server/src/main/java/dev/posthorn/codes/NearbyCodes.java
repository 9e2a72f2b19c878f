package dev.posthorn.codes;

import java.util.ArrayList;
import java.util.HashMap;
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
            return wrongClass(code, key, digit, facts.get());
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

    /**
     * A registered code with a class it is not used with. When the defining RFC limits the class (RFC 3463 §3.2:
     * X.1.2 "is only useful for permanent failures"), quote it, and name the code to use instead if there is one.
     * Where the RFC only advises ("should be used as", X.2.3), the code goes against its advice, not outside it.
     */
    private String wrongClass(String code, String key, int digit, CodeFacts facts) {
        String title = catalogue.language().enhanced().get(key).title();
        String usedAs = words.join(facts.classes().stream().map(c -> c + key.substring(1)).toList());
        ClassRule rule = facts.classRule();
        if (rule == null) {
            return words.fill("unknown.enhancedWrongClass", Map.of("key", key, "title", title,
                    "digit", String.valueOf(digit), "codes", usedAs));
        }
        String message = words.fill(rule.advisory() ? "unknown.enhancedRfcAdvice" : "unknown.enhancedRfcClass",
                Map.of("code", code, "key", key, "title", title, "source", rule.source(), "says", rule.says(),
                        "codes", usedAs));
        String instead = rule.instead().get(digit);
        if (instead == null) {
            return message;
        }
        String insteadCode = digit + instead.substring(1);
        return message + " " + words.fill("unknown.enhancedInstead", Map.of("digit", String.valueOf(digit),
                "code", insteadCode, "title", catalogue.language().enhanced().get(instead).title()));
    }

    /**
     * The note for a code explained although the defining RFC's description rules its class out (or advises
     * against it), because the IANA registry associates it with replies of that class (4.1.1: RFC 3463 §3.2
     * against the registry's 451).
     */
    public String outsideClassRule(CodeEntry entry) {
        ClassRule rule = entry.facts().classRule();
        return words.fill(rule.advisory() ? "warn.rfcAdvice" : "warn.rfcClass", Map.of("code", entry.code(),
                "key", entry.key(), "title", entry.title(), "source", rule.source(), "says", rule.says(),
                "digit", String.valueOf(entry.replyClass().digit())));
    }

    /** compare takes one code per side; "530 5.7.0" names two. */
    public String onePerSide(String side, List<String> codes) {
        return words.fill("unknown.onePerSide", Map.of("input", side, "codes", words.join(codes)));
    }

    /**
     * Everything {@code explain} has to say about a paste besides the pages, in order: the codes explained although
     * their RFC rules the class out, then the findings on the pasted replies; a finding that breaks no rule (an
     * enhanced code on a greeting) is marked as a note.
     */
    public List<String> notes(Lookup lookup, List<CodeEntry> entries) {
        List<String> notes = new ArrayList<>();
        entries.stream().filter(CodeEntry::outsideClassRule).forEach(e -> notes.add(outsideClassRule(e)));
        for (ReplyFinding finding : lookup.findings()) {
            String warning = warning(finding);
            notes.add(finding.kind().violation() ? warning : words.fill("warn.note", Map.of("note", warning)));
        }
        return notes;
    }

    /**
     * The note on the first class mismatch of a paste ("530 4.7.0"), for a caller that reports only that finding
     * and checked {@link Lookup#classesDisagree()} first; {@link #notes} gives them all.
     */
    public String classMismatch(Lookup lookup) {
        return lookup.findings().stream().filter(f -> f.kind() == ReplyFinding.Kind.CLASS_MISMATCH).findFirst()
                .map(this::warning)
                .orElseThrow(() -> new IllegalArgumentException("the classes agree in " + lookup.input()));
    }

    /** A note on a pasted reply that breaks RFC 2034 §4 or RFC 5321 §4.2.1, such as "530 4.7.0". */
    public String warning(ReplyFinding finding) {
        Map<String, String> values = new HashMap<>();
        values.put("basic", finding.basic());
        if (finding.enhanced() != null) {
            values.put("enhanced", finding.enhanced());
        }
        values.put("codes", String.join(", ", finding.codes()));
        return words.fill("warn." + finding.kind().key(), values);
    }
}
