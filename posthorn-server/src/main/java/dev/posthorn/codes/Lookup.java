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
    // "<bob@example.com>: host ... said:" starts the part of a Postfix bounce about the next recipient.
    private static final Pattern RECIPIENT = Pattern.compile("<[^<>\\s]+>:");
    // A client's EHLO or HELO in a session transcript: "EHLO client.example", "C: EHLO ...", " -> EHLO ...".
    private static final Pattern HELLO = Pattern.compile("\\W{0,4}(?:C:\\s?)?(?:EHLO|HELO)\\s+\\S{1,255}\\s*",
            Pattern.CASE_INSENSITIVE);

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
        List<InputLine> lines = trimmed.lines().map(InputLine::read).toList();
        Set<String> lone = new LinkedHashSet<>();
        lines.forEach(l -> {
            if (l.lone() != null) {
                lone.add(l.lone());
            }
        });
        // In a pasted block, a number in mid-sentence ("size 500 bytes") is not a reply when real reply lines
        // are present; a single line keeps its only candidate, as it always did.
        List<InputLine> withCandidates = lines.stream().filter(l -> !l.candidates().isEmpty()).toList();
        boolean dropWeak = withCandidates.size() > 1 && withCandidates.stream().anyMatch(InputLine::strong);
        List<PastedReply> replies = group(lines, dropWeak);
        Set<String> inReplies = new LinkedHashSet<>();
        replies.forEach(r -> inReplies.addAll(r.enhancedCodes()));
        lone.removeAll(inReplies);
        return new Lookup(trimmed, replies, new ArrayList<>(lone));
    }

    /**
     * One line of input and the reply codes in it. Postfix folds a multiline reply onto one line
     * ({@code 550-5.1.1 ... spaces. Learn more at 550 5.1.1}), so a line may hold several.
     *
     * @param chosen the candidate taken when no reply is open: "550 5.1.1" before a lone number, which may be a size
     * @param strong the chosen candidate carries an enhanced code or starts the line (after a "said:" or a "smtp;")
     * @param ends   blank, or starting a new recipient's part: no reply continues past it
     * @param hello  the client's EHLO or HELO command
     */
    private record InputLine(String text, List<MatchResult> candidates, int chosen, boolean strong, boolean ends,
                             boolean hello, String lone) {

        static InputLine read(String line) {
            boolean ends = line.isBlank() || RECIPIENT.matcher(line.strip()).lookingAt();
            boolean hello = line.length() < 300 && HELLO.matcher(line).matches();
            List<MatchResult> candidates = REPLY.matcher(line).results().toList();
            int chosen = -1;
            for (int i = 0; i < candidates.size() && chosen < 0; i++) {
                if (candidates.get(i).group(3) != null) {
                    chosen = i;
                }
            }
            if (chosen < 0 && !candidates.isEmpty()) {
                chosen = 0;
            }
            String lone = null;
            if (chosen < 0 || candidates.get(chosen).group(3) == null) {
                Matcher enhanced = ENHANCED_ANYWHERE.matcher(line);
                lone = enhanced.find() ? enhanced.group(1) : null;
            }
            boolean strong = false;
            if (chosen >= 0) {
                MatchResult c = candidates.get(chosen);
                String before = line.substring(0, c.start()).strip();
                strong = c.group(3) != null || before.isEmpty() || before.endsWith(":") || before.endsWith(";");
            }
            return new InputLine(line, candidates, chosen, strong, ends, hello && candidates.isEmpty(), lone);
        }

        /** The first candidate with this reply code, or -1. */
        int indexOf(String code) {
            for (int i = 0; i < candidates.size(); i++) {
                if (candidates.get(i).group(1).equals(code)) {
                    return i;
                }
            }
            return -1;
        }

        ReplyLine replyLine(int i) {
            MatchResult c = candidates.get(i);
            int end = i + 1 < candidates.size() ? candidates.get(i + 1).start() : text.length();
            return new ReplyLine(c.group(1), c.group(2).equals("-"), c.group(3), text.substring(c.end(), end).strip());
        }
    }

    /**
     * Lines form one reply until a line without the "-" of continuation ends it (RFC 5321 §4.2.1). While a reply
     * is open, a line with its code belongs to it even without an enhanced code (swaks' {@code <** 550 see ...});
     * on a line that holds several candidates, the last one of the open reply's code says whether it goes on.
     */
    private static List<PastedReply> group(List<InputLine> lines, boolean dropWeak) {
        List<PastedReply> replies = new ArrayList<>();
        List<ReplyLine> current = new ArrayList<>();
        boolean hello = false;
        boolean answersHello = false;
        for (InputLine line : lines) {
            if (line.ends() && !current.isEmpty()) {
                replies.add(new PastedReply(current, answersHello));
                current = new ArrayList<>();
            }
            hello |= line.hello();
            if (line.candidates().isEmpty()) {
                continue;
            }
            int start = current.isEmpty() ? -1 : line.indexOf(current.getLast().code());
            if (start < 0) {
                if (dropWeak && !line.strong()) {
                    continue;
                }
                start = line.chosen();
            }
            String code = line.candidates().get(start).group(1);
            if (current.isEmpty()) {
                // The first reply after the client's EHLO or HELO answers it.
                answersHello = hello;
                hello = false;
            }
            for (int i = start; i < line.candidates().size(); i++) {
                if (i > start && !line.candidates().get(i).group(1).equals(code)) {
                    continue;
                }
                ReplyLine reply = line.replyLine(i);
                current.add(reply);
                if (!reply.continues()) {
                    replies.add(new PastedReply(current, answersHello));
                    current = new ArrayList<>();
                    break;
                }
            }
        }
        if (!current.isEmpty()) {
            replies.add(new PastedReply(current, answersHello));
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
