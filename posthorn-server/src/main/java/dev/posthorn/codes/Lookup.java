package dev.posthorn.codes;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the user asked about: a basic code ({@code 530}), an enhanced code ({@code 5.7.0}), or text pasted from a
 * log, a session or a bounce: one reply line ({@code 530 5.7.0 Authentication required},
 * {@code ... said: 550 5.1.1 <a@example.com>: User unknown}) or several, such as the {@code 550-5.1.1} lines of a
 * multiline reply (RFC 5321 §4.2.1), which are read as one reply.
 *
 * @param replies      the replies found, in order, each with its lines
 * @param loneEnhanced enhanced codes found outside a reply line, such as {@code Status: 4.4.7}
 */
public record Lookup(String input, List<PastedReply> replies, List<String> loneEnhanced) {

    private static final Pattern BASIC_ONLY = Pattern.compile("\\d{3}");
    private static final Pattern ENHANCED_ONLY = Pattern.compile("\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    // A reply code starts a line or follows a space or "said:"; it never sits inside an address, a date
    // or an IP literal, hence the characters excluded before it. RFC 5321 §4.2.1: "NNN " or "NNN-".
    private static final Pattern REPLY = Pattern.compile(
            "(?<![\\w.:\\-\\[=/])([2-5]\\d\\d)([ -]|$)(?:\\s*([245]\\.\\d{1,3}\\.\\d{1,3})(?![\\w.]))?");
    private static final Pattern ENHANCED_ANYWHERE = Pattern.compile("(?<![\\w.])([245]\\.\\d{1,3}\\.\\d{1,3})(?![\\w.])");

    public Lookup {
        replies = List.copyOf(replies);
        loneEnhanced = List.copyOf(loneEnhanced);
    }

    public static Lookup parse(String input) {
        String trimmed = input.strip();
        if (BASIC_ONLY.matcher(trimmed).matches()) {
            return new Lookup(trimmed, List.of(new PastedReply(List.of(new ReplyLine(trimmed, false, null, "")))),
                    List.of());
        }
        if (ENHANCED_ONLY.matcher(trimmed).matches()) {
            return new Lookup(trimmed, List.of(), List.of(trimmed));
        }
        List<Found> found = new ArrayList<>();
        List<String> lone = new ArrayList<>();
        for (String line : trimmed.split("\\R")) {
            Found f = parseLine(line);
            if (f.line() != null) {
                found.add(f);
            }
            if (f.lone() != null && !lone.contains(f.lone())) {
                lone.add(f.lone());
            }
        }
        // In a pasted block, a number in mid-sentence ("size 500 bytes") is not a reply when real reply lines
        // are present; a single line keeps its only candidate, as it always did.
        if (found.size() > 1 && found.stream().anyMatch(Found::strong)) {
            found.removeIf(f -> !f.strong());
        }
        List<PastedReply> replies = group(found.stream().map(Found::line).toList());
        Set<String> inReplies = new LinkedHashSet<>();
        replies.forEach(r -> inReplies.addAll(r.enhancedCodes()));
        lone.removeIf(inReplies::contains);
        return new Lookup(trimmed, replies, lone);
    }

    /** A reply line found in one line of input; strong when it carries an enhanced code or starts the line. */
    private record Found(ReplyLine line, boolean strong, String lone) {
    }

    private static Found parseLine(String line) {
        List<MatchResult> candidates = REPLY.matcher(line).results().toList();
        // Prefer "550 5.1.1": a code followed by an enhanced code is a reply, a lone number may be a size.
        MatchResult chosen = candidates.stream().filter(c -> c.group(3) != null).findFirst()
                .orElse(candidates.isEmpty() ? null : candidates.getFirst());
        String lone = null;
        if (chosen == null || chosen.group(3) == null) {
            Matcher enhanced = ENHANCED_ANYWHERE.matcher(line);
            lone = enhanced.find() ? enhanced.group(1) : null;
        }
        if (chosen == null) {
            return new Found(null, false, lone);
        }
        String before = line.substring(0, chosen.start()).strip();
        boolean strong = chosen.group(3) != null || before.isEmpty() || before.endsWith(":") || before.endsWith(";");
        ReplyLine reply = new ReplyLine(chosen.group(1), chosen.group(2).equals("-"), chosen.group(3),
                line.substring(chosen.end()).strip());
        return new Found(reply, strong, lone);
    }

    /** Consecutive lines form one reply until a line without the "-" of continuation ends it (RFC 5321 §4.2.1). */
    private static List<PastedReply> group(List<ReplyLine> lines) {
        List<PastedReply> replies = new ArrayList<>();
        List<ReplyLine> current = new ArrayList<>();
        for (ReplyLine line : lines) {
            current.add(line);
            if (!line.continues()) {
                replies.add(new PastedReply(current));
                current = new ArrayList<>();
            }
        }
        if (!current.isEmpty()) {
            replies.add(new PastedReply(current));
        }
        return replies;
    }

    public boolean isEmpty() {
        return replies.isEmpty() && loneEnhanced.isEmpty();
    }

    /** The reply code of the first reply found, or null. */
    public String basic() {
        return replies.isEmpty() ? null : replies.getFirst().code();
    }

    /** The first enhanced code found, in a reply or alone, or null. */
    public String enhanced() {
        List<String> enhanced = new ArrayList<>(replies.stream().flatMap(r -> r.enhancedCodes().stream()).toList());
        enhanced.addAll(loneEnhanced);
        return enhanced.isEmpty() ? null : enhanced.getFirst();
    }

    /** The codes found, each once, as the user wrote them: each reply's code, then its enhanced codes. */
    public List<String> codes() {
        Set<String> codes = new LinkedHashSet<>();
        for (PastedReply reply : replies) {
            codes.addAll(reply.lineCodes());
            codes.addAll(reply.enhancedCodes());
        }
        codes.addAll(loneEnhanced);
        return new ArrayList<>(codes);
    }

    /** What the pasted replies do against RFC 2034 §4 and RFC 5321 §4.2.1, each finding once. */
    public List<ReplyFinding> findings() {
        Set<ReplyFinding> findings = new LinkedHashSet<>();
        replies.forEach(r -> findings.addAll(ReplyRules.check(r)));
        return new ArrayList<>(findings);
    }

    /** RFC 2034 §4: the enhanced code's class must be the reply's first digit; a pasted "530 4.7.0" breaks that. */
    public boolean classesDisagree() {
        return findings().stream().anyMatch(f -> f.kind() == ReplyFinding.Kind.CLASS_MISMATCH);
    }
}
