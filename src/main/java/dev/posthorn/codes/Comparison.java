package dev.posthorn.codes;

import dev.posthorn.codes.Page.Item;
import dev.posthorn.codes.Page.Items;
import dev.posthorn.codes.Page.Section;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The comparison page of two codes: Description / When you see it / How to fix / Key differences /
 * When to use which / Learn more. "Key differences" and "When to use which" are written from the data
 * (class, session phase, who must act, what retrying does) with the language's sentence templates,
 * so they hold for any pair, basic or enhanced.
 */
public record Comparison(String language, String title, CodeEntry a, CodeEntry b,
                         List<String> differences, List<String> whenToUse) {

    public static Comparison of(Catalogue catalogue, CodeEntry a, CodeEntry b) {
        Words w = new Words(catalogue.language());
        String title = w.fill("page.compareTitle",
                Map.of("a", a.code(), "aTitle", a.title(), "b", b.code(), "bTitle", b.title()));
        return new Comparison(catalogue.language().language(), title, a, b, differences(w, a, b), whenToUse(w, a, b));
    }

    static List<String> differences(Words w, CodeEntry a, CodeEntry b) {
        List<String> out = new ArrayList<>();
        if (a.isEnhanced() != b.isEnhanced()) {
            CodeEntry basic = a.isEnhanced() ? b : a;
            CodeEntry enhanced = a.isEnhanced() ? a : b;
            out.add(w.fill("diff.kind", Map.of("basic", basic.code(), "enhanced", enhanced.code())));
        }
        if (a.replyClass() == b.replyClass()) {
            out.add(w.fill("same.class", Map.of("class", w.classLabel(a), "outcome", w.outcome(a))));
        } else {
            out.add(w.fill("diff.class", Map.of("a", a.code(), "classA", w.classLabel(a), "outcomeA", w.outcome(a),
                    "b", b.code(), "classB", w.classLabel(b), "outcomeB", w.outcome(b))));
        }
        if (a.phases().equals(b.phases())) {
            out.add(w.fill("same.phase", Map.of("phases", w.phases(a.phases()))));
        } else {
            out.add(w.fill("diff.phase", Map.of("a", a.code(), "phasesA", w.phases(a.phases()),
                    "b", b.code(), "phasesB", w.phases(b.phases()))));
        }
        if (a.actor() == b.actor()) {
            out.add(w.fill("same.actor", Map.of("actor", w.actor(a))));
        } else {
            out.add(w.fill("diff.actor", Map.of("a", a.code(), "actorA", w.actor(a),
                    "b", b.code(), "actorB", w.actor(b))));
        }
        if (a.retry() == b.retry()) {
            out.add(w.fill("same.retry", Map.of("retry", w.retry(a))));
        } else {
            out.add(w.fill("diff.retry", Map.of("a", a.code(), "retryA", w.retry(a),
                    "b", b.code(), "retryB", w.retry(b))));
        }
        return out;
    }

    static List<String> whenToUse(Words w, CodeEntry a, CodeEntry b) {
        List<String> out = new ArrayList<>();
        out.add(w.fill("use.each", Map.of("code", a.code(), "use", a.text().use())));
        out.add(w.fill("use.each", Map.of("code", b.code(), "use", b.text().use())));
        out.add(choice(w, a, b));
        for (CodeEntry e : List.of(a, b)) {
            List<String> own = ServerUsage.repliesWith(e);
            if (!own.isEmpty()) {
                out.add(w.fill("label.posthornSends", Map.of("code", e.code(),
                        "replies", w.join(own.stream().map(r -> "\"" + r + "\"").toList()))));
            }
        }
        return out;
    }

    /** The sentence that tells a server author how to choose, from kinds, classes and phases. */
    private static String choice(Words w, CodeEntry a, CodeEntry b) {
        if (a.isEnhanced() != b.isEnhanced()) {
            CodeEntry basic = a.isEnhanced() ? b : a;
            CodeEntry enhanced = a.isEnhanced() ? a : b;
            if (basic.replyClass() == enhanced.replyClass()) {
                return w.fill("use.pair", Map.of("basic", basic.code(), "enhanced", enhanced.code()));
            }
            return w.fill("use.pairClash", Map.of("basic", basic.code(), "enhanced", enhanced.code(),
                    "matching", basic.replyClass().digit() + enhanced.code().substring(1)));
        }
        if (a.code().equals(b.code())) {
            return w.fill("use.same", Map.of("code", a.code()));
        }
        if (Words.commonPhases(a, b).isEmpty()) {
            return w.fill("use.disjoint", Map.of("a", a.code(), "b", b.code()));
        }
        int da = a.replyClass().digit();
        int db = b.replyClass().digit();
        if ((da == 4 && db == 5) || (da == 5 && db == 4)) {
            CodeEntry transientOne = da == 4 ? a : b;
            CodeEntry permanentOne = da == 4 ? b : a;
            return w.fill("use.transientPermanent",
                    Map.of("transient", transientOne.code(), "permanent", permanentOne.code()));
        }
        if (a.replyClass().isFailure() != b.replyClass().isFailure()) {
            CodeEntry positive = a.replyClass().isFailure() ? b : a;
            CodeEntry negative = a.replyClass().isFailure() ? a : b;
            return w.fill("use.positiveNegative", Map.of("positive", positive.code(), "negative", negative.code(),
                    "phases", w.phases(Words.commonPhases(a, b))));
        }
        return w.fill("use.sameClass", Map.of("a", a.code(), "b", b.code(), "class", w.classLabel(a)));
    }

    public Page toPage(Catalogue catalogue) {
        Words w = new Words(catalogue.language());
        List<CodeEntry> both = a.code().equals(b.code()) ? List.of(a) : List.of(a, b);
        List<String> commands = both.stream().map(e -> "posthorn explain " + e.code()).toList();
        return new Page(language, title, List.of(
                new Section(w.phrase("section.description"), List.of(ExplainPage.describeEach(both, w))),
                new Section(w.phrase("section.when"), List.of(ExplainPage.whenEach(both))),
                new Section(w.phrase("section.fix"), List.of(ExplainPage.fixEach(both, w))),
                new Section(w.phrase("section.differences"), List.of(sentences(differences))),
                new Section(w.phrase("section.use"), List.of(sentences(whenToUse))),
                new Section(w.phrase("section.learn"), List.of(ExplainPage.learnMore(both, commands)))));
    }

    private static Items sentences(List<String> sentences) {
        return new Items(sentences.stream().map(s -> Item.of(null, s)).toList());
    }
}
