package dev.posthorn.codes.providers;

import dev.posthorn.codes.LanguagePack;
import dev.posthorn.codes.Page.Item;
import dev.posthorn.codes.Page.Items;
import dev.posthorn.codes.Page.Paragraph;
import dev.posthorn.codes.Page.Section;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A recognised provider bounce as a page section, in the reader's language: what triggers it, the provider's
 * own words, who must act and what to do, since when, the provider's pages, and where this was read. The
 * explain page puts these sections above the generic meaning of the codes.
 */
public final class ProviderAdvice {

    private final LanguagePack lang;

    public ProviderAdvice(LanguagePack lang) {
        this.lang = lang;
    }

    public String heading(ProviderMatch m) {
        return lang.fill("provider.heading", Map.of("provider", m.provider().name(),
                "reply", m.entry().replySpec().toString(), "title", title(m.entry())));
    }

    public String title(ProviderEntry e) {
        return ProviderEntry.in(e.title(), lang.language());
    }

    public String trigger(ProviderEntry e) {
        return ProviderEntry.in(e.trigger(), lang.language());
    }

    public String advice(ProviderEntry e) {
        return ProviderEntry.in(e.advice(), lang.language());
    }

    public String party(ProviderEntry e) {
        return lang.phrase("provider.party." + e.actor().key());
    }

    public String linkLabel(Link link) {
        return lang.phrase("provider.link." + link.kind());
    }

    /** "Gmail's reference page, read on 2026-12-01". */
    public String sourceText(ProviderMatch m) {
        return lang.fill("provider.sourceText", Map.of("provider", m.provider().name(), "date", m.entry().retrieved()));
    }

    /** The entry's own links, then the provider's, each address once. */
    public List<Link> links(ProviderMatch m) {
        Map<String, Link> byUrl = new LinkedHashMap<>();
        m.entry().links().forEach(l -> byUrl.putIfAbsent(l.url(), l));
        m.provider().links().forEach(l -> byUrl.putIfAbsent(l.url(), l));
        return List.copyOf(byUrl.values());
    }

    public Section section(ProviderMatch m) {
        ProviderEntry e = m.entry();
        List<Item> facts = new ArrayList<>();
        facts.add(Item.of(lang.phrase("provider.wording"), "\"" + e.wording() + "\""));
        facts.add(Item.of(lang.phrase("provider.who"), party(e)));
        facts.add(Item.of(lang.phrase("provider.what"), advice(e)));
        if (e.since() != null) {
            facts.add(Item.of(lang.phrase("provider.since"), e.since()));
        }
        List<Item> links = new ArrayList<>();
        for (Link link : links(m)) {
            links.add(new Item(null, linkLabel(link), link.url()));
        }
        links.add(new Item(lang.phrase("provider.source"), sourceText(m), e.source()));
        return new Section(heading(m), List.of(new Paragraph(trigger(e)), new Items(facts), new Items(links)));
    }
}
