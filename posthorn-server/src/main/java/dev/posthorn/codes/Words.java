package dev.posthorn.codes;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Localised pieces shared by the explain and compare pages: class names, phase lists, audiences. */
final class Words {

    private final LanguagePack lang;

    Words(LanguagePack lang) {
        this.lang = lang;
    }

    String phrase(String key) {
        return lang.phrase(key);
    }

    String fill(String key, Map<String, String> values) {
        return lang.fill(key, values);
    }

    /** "5xx Permanent Negative" for 530, "5.x.x Permanent Failure" for 5.7.0. */
    String classLabel(CodeEntry e) {
        return lang.phrase((e.isEnhanced() ? "enhancedClass." : "class.") + e.replyClass().digit());
    }

    String outcome(CodeEntry e) {
        return lang.phrase("outcome." + e.replyClass().digit());
    }

    String subjectLabel(CodeEntry e) {
        return lang.phrase("subject." + e.subject());
    }

    String audience(Audience a) {
        return lang.phrase("audience." + a.key());
    }

    String actor(CodeEntry e) {
        return lang.phrase("actor." + e.actor().key());
    }

    String retry(CodeEntry e) {
        return lang.phrase("retry." + e.retry().key());
    }

    /**
     * The phases as one phrase: "at the greeting when the connection opens or in reply to STARTTLS".
     * Phases that answer a command share one "in reply to MAIL FROM, RCPT TO or DATA" instead of
     * repeating the preposition, so the language file gives command names ({@code command.<phase>})
     * and one template ({@code phase.reply}).
     */
    String phases(List<Phase> phases) {
        List<String> commands = phases.stream().filter(Phase::isCommand)
                .map(p -> lang.phrase("command." + p.key())).toList();
        List<String> parts = new ArrayList<>();
        boolean repliesAdded = false;
        for (Phase p : phases) {
            if (!p.isCommand()) {
                parts.add(lang.phrase("phase." + p.key()));
            } else if (!repliesAdded) {
                parts.add(lang.fill("phase.reply", Map.of("commands", join(commands))));
                repliesAdded = true;
            }
        }
        return join(parts);
    }

    /** "a", "a or b", "a, b or c" with the language's comma and final conjunction. */
    String join(List<String> parts) {
        if (parts.size() == 1) {
            return parts.getFirst();
        }
        String last = parts.getLast();
        String head = String.join(lang.phrase("join.comma"), parts.subList(0, parts.size() - 1));
        return head + lang.phrase("join.or") + last;
    }

    /** The phases both codes can turn up in; ANY overlaps every phase of a live session. */
    static List<Phase> commonPhases(CodeEntry a, CodeEntry b) {
        Set<Phase> common = new LinkedHashSet<>();
        for (Phase p : a.phases()) {
            for (Phase q : b.phases()) {
                if (p == q) {
                    common.add(p);
                } else if (p == Phase.ANY && q != Phase.DELIVERY) {
                    common.add(q);
                } else if (q == Phase.ANY && p != Phase.DELIVERY) {
                    common.add(p);
                }
            }
        }
        return new ArrayList<>(common);
    }
}
