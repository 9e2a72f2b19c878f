package dev.posthorn.codes;

import dev.posthorn.codes.Page.Block;
import dev.posthorn.codes.Page.Item;
import dev.posthorn.codes.Page.Items;
import dev.posthorn.codes.Page.Paragraph;
import dev.posthorn.codes.Page.Section;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The "explain" page: one code, or the two codes of a pasted reply line, with the sections
 * Description / When you see it / How to fix / Related codes / Learn more.
 */
public final class ExplainPage {

    private final Catalogue catalogue;
    private final Words words;

    public ExplainPage(Catalogue catalogue) {
        this.catalogue = catalogue;
        this.words = new Words(catalogue.language());
    }

    public Page build(List<CodeEntry> entries) {
        if (entries.size() == 1) {
            return single(entries.getFirst());
        }
        String codes = String.join(" ", entries.stream().map(CodeEntry::code).toList());
        String titles = String.join(" / ", entries.stream().map(CodeEntry::title).toList());
        List<Section> sections = new ArrayList<>();
        sections.add(new Section(words.phrase("section.description"), List.of(describeEach(entries, words))));
        sections.add(new Section(words.phrase("section.when"), List.of(whenEach(entries))));
        sections.add(new Section(words.phrase("section.fix"), List.of(fixEach(entries, words))));
        sections.add(new Section(words.phrase("section.related"), List.of(related(entries))));
        sections.add(new Section(words.phrase("section.learn"), List.of(learnMore(entries, List.of()))));
        return new Page(catalogue.language().language(),
                words.fill("page.explainTitle", Map.of("code", codes, "title", titles)), sections);
    }

    /**
     * The page for a pasted bounce: {@code first} (the provider's advice, when the bounce is one a provider
     * documents) above the generic explanation of the codes found, if any.
     */
    public Page build(List<CodeEntry> entries, List<Section> first) {
        if (entries.isEmpty()) {
            if (first.isEmpty()) {
                throw new IllegalArgumentException("nothing to explain");
            }
            return new Page(catalogue.language().language(), first.getFirst().heading(), first);
        }
        Page generic = build(entries);
        List<Section> sections = new ArrayList<>(first);
        sections.addAll(generic.sections());
        return new Page(generic.language(), generic.title(), sections);
    }

    private Page single(CodeEntry e) {
        List<Section> sections = new ArrayList<>(codeSections(e));
        sections.add(new Section(words.phrase("section.related"), List.of(related(List.of(e)))));
        sections.add(new Section(words.phrase("section.learn"), List.of(learnMore(List.of(e), List.of()))));
        return new Page(catalogue.language().language(),
                words.fill("page.explainTitle", Map.of("code", e.code(), "title", e.title())), sections);
    }

    /** Description, When you see it and How to fix of one code: its own page starts with them, so does its part of a comparison. */
    public List<Section> codeSections(CodeEntry e) {
        List<Item> facts = new ArrayList<>();
        facts.add(Item.of(words.phrase("label.class"), words.classLabel(e) + " — " + words.outcome(e) + "."));
        if (e.isEnhanced()) {
            facts.add(Item.of(words.phrase("label.subject"), words.subjectLabel(e)));
        }
        List<Block> when = new ArrayList<>();
        when.add(new Paragraph(e.text().when()));
        List<String> own = ServerUsage.repliesWith(e);
        if (!own.isEmpty()) {
            when.add(new Paragraph(words.fill("label.posthornSends", Map.of("code", e.code(),
                    "replies", words.join(own.stream().map(r -> "\"" + r + "\"").toList())))));
        }
        List<Item> fixes = e.text().fix().entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .map(f -> Item.of(f.getKey() == Audience.ALL ? null : words.audience(f.getKey()), f.getValue()))
                .toList();
        return List.of(
                new Section(words.phrase("section.description"),
                        List.of(new Paragraph(e.text().meaning()), new Items(facts))),
                new Section(words.phrase("section.when"), when),
                new Section(words.phrase("section.fix"), List.of(new Items(fixes))));
    }

    /** One bullet per code: "530 Authentication Required: 5xx Permanent Negative. The server ..." */
    static Items describeEach(List<CodeEntry> entries, Words words) {
        return new Items(entries.stream()
                .map(e -> Item.of(e.code() + " " + e.title(), words.classLabel(e) + ". " + e.text().meaning()))
                .toList());
    }

    static Items whenEach(List<CodeEntry> entries) {
        return new Items(entries.stream().map(e -> Item.of(e.code(), e.text().when())).toList());
    }

    /** One bullet per code and audience: "530, sender's user: ..." */
    static Items fixEach(List<CodeEntry> entries, Words words) {
        List<Item> items = new ArrayList<>();
        for (CodeEntry e : entries) {
            e.text().fix().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(f -> items.add(Item.of(
                    f.getKey() == Audience.ALL ? e.code() : e.code() + ", " + words.audience(f.getKey()),
                    f.getValue())));
        }
        return new Items(items);
    }

    private Items related(List<CodeEntry> entries) {
        Set<String> shown = new LinkedHashSet<>();
        entries.forEach(e -> shown.add(e.code()));
        List<Item> items = new ArrayList<>();
        for (CodeEntry e : entries) {
            for (CodeEntry r : catalogue.related(e)) {
                if (shown.add(r.code())) {
                    items.add(Item.of(r.code(), r.title()));
                }
            }
        }
        return new Items(items);
    }

    /** The RFC sections of every code, once each, then the commands that explain each code alone. */
    public static Items learnMore(List<CodeEntry> entries, List<String> commands) {
        Set<Reference> refs = new LinkedHashSet<>();
        entries.forEach(e -> refs.addAll(e.references()));
        List<Item> items = new ArrayList<>();
        refs.forEach(r -> items.add(new Item(null, r.label(), r.url())));
        commands.forEach(c -> items.add(Item.of(null, c)));
        return new Items(items);
    }
}
