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
        return new Comparison(catalogue.language().language(), title, a, b, differences(w, a, b),
                whenToUse(catalogue, w, a, b));
    }

    static List<String> differences(Words w, CodeEntry a, CodeEntry b) {
        List<String> out = new ArrayList<>();
        if (a.isEnhanced() != b.isEnhanced()) {
            CodeEntry basic = a.isEnhanced() ? b : a;
            CodeEntry enhanced = a.isEnhanced() ? a : b;
            out.add(w.fill("diff.kind", Map.of("basic", basic.code(), "enhanced", enhanced.code())));
        }
        out.add(classSentence(w, a, b));
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

    private static String classSentence(Words w, CodeEntry a, CodeEntry b) {
        if (a.replyClass() == b.replyClass()) {
            return w.fill("same.class", Map.of("class", w.classLabel(a), "outcome", w.outcome(a)));
        }
        return w.fill("diff.class", Map.of("a", a.code(), "classA", w.classLabel(a), "outcomeA", w.outcome(a),
                "b", b.code(), "classB", w.classLabel(b), "outcomeB", w.outcome(b)));
    }

    /**
     * The summary at the top of a comparison page: how the two classes differ, and how a server chooses
     * between the codes (the same sentences as in Key differences and When to use which).
     */
    public List<String> summary(Catalogue catalogue) {
        Words w = new Words(catalogue.language());
        return List.of(classSentence(w, a, b), choice(catalogue, w, a, b));
    }

    static List<String> whenToUse(Catalogue catalogue, Words w, CodeEntry a, CodeEntry b) {
        List<String> out = new ArrayList<>();
        out.add(w.fill("use.each", Map.of("code", a.code(), "use", a.text().use())));
        out.add(w.fill("use.each", Map.of("code", b.code(), "use", b.text().use())));
        out.add(choice(catalogue, w, a, b));
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
    private static String choice(Catalogue catalogue, Words w, CodeEntry a, CodeEntry b) {
        if (a.isEnhanced() != b.isEnhanced()) {
            return pairing(catalogue, w, a.isEnhanced() ? b : a, a.isEnhanced() ? a : b);
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
        if (da != db) {
            // Both positive, one intermediate: the 3xx asks for more, the 2xx closes the exchange.
            CodeEntry intermediate = da == 3 ? a : b;
            CodeEntry completion = da == 3 ? b : a;
            return w.fill("use.intermediateCompletion",
                    Map.of("intermediate", intermediate.code(), "completion", completion.code()));
        }
        return w.fill("use.sameClass", Map.of("a", a.code(), "b", b.code(), "class", w.classLabel(a)));
    }

    /**
     * A basic and an enhanced code: whether they go together in one reply. They can only if the classes agree
     * (RFC 2034 §4); they usually do if the data relates them or Posthorn sends them together.
     */
    private static String pairing(Catalogue catalogue, Words w, CodeEntry basic, CodeEntry enhanced) {
        if (basic.replyClass() != enhanced.replyClass()) {
            return w.fill("use.pairClash", Map.of("basic", basic.code(), "enhanced", enhanced.code(),
                    "matching", basic.replyClass().digit() + enhanced.code().substring(1)));
        }
        List<String> usualBasic = new ArrayList<>();
        for (String code : catalogue.basicCodes()) {
            CodeFacts f = catalogue.facts(code).orElseThrow();
            boolean related = f.related().contains(enhanced.key()) || enhanced.facts().related().contains(code);
            if (related && code.charAt(0) == enhanced.code().charAt(0)) {
                usualBasic.add(code);
            }
        }
        boolean sentTogether = ServerUsage.repliesWith(basic).stream()
                .anyMatch(r -> r.startsWith(basic.code() + " " + enhanced.code() + " "));
        if (usualBasic.contains(basic.code()) || sentTogether || usualBasic.isEmpty()) {
            return w.fill("use.pair", Map.of("basic", basic.code(), "enhanced", enhanced.code()));
        }
        return w.fill("use.pairUnusual", Map.of("basic", basic.code(), "enhanced", enhanced.code(),
                "usual", w.join(usualBasic)));
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
