package dev.posthorn.web.pages;

import dev.posthorn.codes.Catalogue;
import dev.posthorn.codes.CodeEntry;
import dev.posthorn.codes.CodeFacts;
import dev.posthorn.codes.Comparison;
import dev.posthorn.codes.ExplainPage;
import dev.posthorn.codes.LanguagePack;
import dev.posthorn.codes.Lookup;
import dev.posthorn.codes.NearbyCodes;
import dev.posthorn.codes.Page;
import dev.posthorn.codes.providers.BounceReading;
import dev.posthorn.codes.providers.Link;
import dev.posthorn.codes.providers.Provider;
import dev.posthorn.codes.providers.ProviderAdvice;
import dev.posthorn.codes.providers.ProviderEntry;
import dev.posthorn.codes.providers.ProviderMatch;
import dev.posthorn.web.WebModule;
import dev.posthorn.web.http.Caching;
import dev.posthorn.web.http.ConcurrencyLimit;
import dev.posthorn.web.http.Endpoint;
import dev.posthorn.web.http.Routes;
import dev.posthorn.web.http.WebRequest;
import dev.posthorn.web.http.WebResponse;
import dev.posthorn.web.pages.Chrome.Crumb;
import dev.posthorn.web.pages.Views.Advice;
import dev.posthorn.web.pages.Views.LinkView;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The reply-code reference: {@code /{lang}/codes}, {@code /{lang}/codes/530}, {@code /{lang}/compare/220/530},
 * {@code /{lang}/explain?line=...}, {@code /{lang}/providers/gmail}. Addresses without a language redirect to
 * the reader's (Accept-Language). The words come from {@link ExplainPage}, {@link Comparison} and the provider
 * catalogue, the same as {@code posthorn explain} and {@code posthorn compare} print.
 */
public final class ReferencePages implements WebModule {

    /** A pasted bounce is read up to this many characters; a longer one is cut, and the page says so. */
    public static final int MAX_INPUT = 10_000;
    /** Longest Location written: Jetty's response headers must fit in 8 KiB, or the answer becomes a 500. */
    static final int MAX_LOCATION = 6_000;

    private final Site site;
    private final SiteFallbacks fallbacks;
    private final Endpoint explain;

    public ReferencePages(Site site, SiteFallbacks fallbacks, ConcurrencyLimit explains) {
        this.site = site;
        this.fallbacks = fallbacks;
        this.explain = explains.guard(inLanguage(this::explain), fallbacks);
    }

    @Override
    public void register(Routes routes) {
        routes.get("/", r -> toLanguage(r, l -> Paths.codes(l)));
        routes.get("/codes", r -> toLanguage(r, Paths::codes));
        routes.get("/codes/{code}", r -> toLanguage(r, l -> Paths.code(l, r.param("code"))));
        routes.get("/compare/{a}/{b}", r -> toLanguage(r, l -> Paths.compare(l, r.param("a"), r.param("b"))));
        routes.get("/explain", r -> toLanguage(r, Paths::explain));
        routes.get("/providers", r -> toLanguage(r, Paths::providers));
        routes.get("/providers/{id}", r -> toLanguage(r, l -> Paths.provider(l, r.param("id"))));
        routes.get("/{lang}", inLanguage((r, l) -> WebResponse.redirect(301, Paths.codes(l), Caching.PAGE, null)));
        routes.get("/{lang}/codes", inLanguage(this::codes));
        routes.get("/{lang}/codes/{code}", inLanguage(this::code));
        routes.get("/{lang}/compare", inLanguage(this::compareForm));
        routes.get("/{lang}/compare/{a}/{b}", inLanguage(this::compare));
        routes.get("/{lang}/explain", explain);
        routes.get("/{lang}/providers", inLanguage(this::providers));
        routes.get("/{lang}/providers/{id}", inLanguage(this::provider));
    }

    /** The same page in the reader's language; the query (a pasted line) goes along. */
    private WebResponse toLanguage(WebRequest r, java.util.function.Function<String, String> pathIn) throws Exception {
        String lang = site.languages().negotiate(r.header("accept-language"));
        String target = pathIn.apply(lang);
        String line = r.query("line");
        if (line != null) {
            target = Paths.explain(lang, line);
        }
        if (target.length() > MAX_LOCATION) {
            // Too long to redirect to: a long paste is read here, in the reader's language; no code or
            // provider has so long a name.
            return line != null ? explain.handle(r.withParams(Map.of("lang", lang))).withHeader("Vary", "Accept-Language")
                    : fallbacks.notFound(r, lang, null);
        }
        return WebResponse.redirect(302, target, Caching.PRIVATE, "Accept-Language");
    }

    /** A page under {@code /{lang}/}, asked only for a language the site has. */
    private interface InLanguage {
        WebResponse page(WebRequest r, String lang) throws Exception;
    }

    /** Every page under {@code /{lang}/} answers an unknown language the same way: not found, in no language. */
    private Endpoint inLanguage(InLanguage page) {
        return r -> {
            Optional<String> lang = language(r);
            return lang.isEmpty() ? fallbacks.notFound(r) : page.page(r, lang.get());
        };
    }

    private Optional<String> language(WebRequest r) {
        String lang = r.param("lang");
        return site.languages().has(lang) ? Optional.of(lang) : Optional.empty();
    }

    private WebResponse codes(WebRequest r, String lang) {
        Catalogue catalogue = site.catalogue(lang);
        LanguagePack words = catalogue.language();
        Chrome chrome = site.chrome(r, lang, words.phrase("web.codes.title"), words.phrase("web.codes.description"),
                Paths::codes, List.of(new Crumb(words.phrase("web.smtp"), null)), "codes", false);
        Map<Character, List<Views.CodeLink>> byClass = new LinkedHashMap<>();
        for (String code : catalogue.basicCodes()) {
            CodeEntry e = catalogue.find(code).orElseThrow();
            byClass.computeIfAbsent(code.charAt(0), c -> new ArrayList<>())
                    .add(new Views.CodeLink(code, e.title(), Paths.code(lang, code)));
        }
        List<Views.ClassGroup> basic = byClass.entrySet().stream()
                .map(g -> new Views.ClassGroup(words.phrase("class." + g.getKey()), g.getValue())).toList();
        Map<String, List<Views.EnhancedRow>> bySubject = new LinkedHashMap<>();
        for (String key : catalogue.enhancedKeys()) {
            CodeFacts facts = catalogue.facts(key).orElseThrow();
            List<Views.CodeLink> uses = facts.classes().stream()
                    .map(c -> c + key.substring(1))
                    .map(code -> new Views.CodeLink(code, code, Paths.code(lang, code))).toList();
            String subject = key.split("\\.")[1];
            bySubject.computeIfAbsent(subject, s -> new ArrayList<>())
                    .add(new Views.EnhancedRow(key, words.enhanced().get(key).title(), uses));
        }
        List<Views.SubjectGroup> enhanced = bySubject.entrySet().stream()
                .map(g -> new Views.SubjectGroup(words.phrase("subject." + g.getKey()), g.getValue())).toList();
        return page("codes", new Views.CodesPage(chrome, basic, enhanced, providerLinks(lang, words)), Caching.PAGE);
    }

    private List<Views.ProviderLink> providerLinks(String lang, LanguagePack words) {
        return site.providers().providers().stream()
                .map(p -> new Views.ProviderLink(p.name(), Paths.provider(lang, p.id()),
                        words.fill("web.providers.entries", Map.of("count", String.valueOf(p.entries().size())))))
                .toList();
    }

    private WebResponse code(WebRequest r, String lang) {
        String code = r.param("code");
        Catalogue catalogue = site.catalogue(lang);
        Optional<CodeEntry> entry = catalogue.find(code);
        if (entry.isEmpty()) {
            return fallbacks.notFound(r, lang, new NearbyCodes(catalogue).hint(code));
        }
        CodeEntry e = entry.get();
        LanguagePack words = catalogue.language();
        Page page = new ExplainPage(catalogue).build(List.of(e));
        Chrome chrome = site.chrome(r, lang, page.title(),
                words.fill("web.code.description", Map.of("code", e.code(), "title", e.title())),
                l -> Paths.code(l, code), crumbs(words, lang, e.code()), "codes", false);
        return page("code", new Views.CodePage(chrome, page.title(), e.code(), linkRelated(page.sections(), words, lang)),
                Caching.PAGE);
    }

    /** "Related codes" items name codes: on the web they link to those codes' pages. */
    private static List<Page.Section> linkRelated(List<Page.Section> sections, LanguagePack words, String lang) {
        String related = words.phrase("section.related");
        return sections.stream().map(s -> !s.heading().equals(related) ? s : new Page.Section(s.heading(),
                s.blocks().stream().map(b -> b instanceof Page.Items items ? new Page.Items(items.items().stream()
                        .map(i -> new Page.Item(null, i.label() + " " + i.text(), Paths.code(lang, i.label())))
                        .toList()) : b).toList())).toList();
    }

    private static List<Crumb> crumbs(LanguagePack words, String lang, String here) {
        return List.of(new Crumb(words.phrase("web.smtp"), Paths.codes(lang)), new Crumb(here, null));
    }

    private WebResponse compareForm(WebRequest r, String lang) {
        String a = r.query("a");
        String b = r.query("b");
        if (a == null || b == null || !isCode(a.strip()) || !isCode(b.strip())) {
            return fallbacks.notFound(r, lang, new NearbyCodes(site.catalogue(lang)).notACode(b == null ? "" : b));
        }
        return WebResponse.redirect(303, Paths.compare(lang, a.strip(), b.strip()), Caching.NONE, null);
    }

    private static boolean isCode(String s) {
        Lookup lookup = Lookup.parse(s);
        return lookup.codes().size() == 1 && lookup.codes().getFirst().equals(s);
    }

    private WebResponse compare(WebRequest r, String lang) {
        Catalogue catalogue = site.catalogue(lang);
        LanguagePack words = catalogue.language();
        NearbyCodes nearby = new NearbyCodes(catalogue);
        Optional<CodeEntry> a = catalogue.find(r.param("a"));
        Optional<CodeEntry> b = catalogue.find(r.param("b"));
        if (a.isEmpty() || b.isEmpty()) {
            return fallbacks.notFound(r, lang, nearby.hint(a.isEmpty() ? r.param("a") : r.param("b")));
        }
        Comparison comparison = Comparison.of(catalogue, a.get(), b.get());
        ExplainPage explain = new ExplainPage(catalogue);
        List<CodeEntry> both = a.get().code().equals(b.get().code()) ? List.of(a.get()) : List.of(a.get(), b.get());
        List<Views.ComparePart> parts = both.stream()
                .map(e -> new Views.ComparePart(e.code() + " " + e.title(), explain.codeSections(e))).toList();
        List<Page.Item> learn = new ArrayList<>(ExplainPage.learnMore(both, List.of()).items());
        both.forEach(e -> learn.add(new Page.Item(null, e.code() + " " + e.title(), Paths.code(lang, e.code()))));
        String title = comparison.title();
        Chrome chrome = site.chrome(r, lang, title,
                words.fill("web.compare.description", Map.of("a", a.get().code(), "b", b.get().code())),
                l -> Paths.compare(l, r.param("a"), r.param("b")),
                crumbs(words, lang, a.get().code() + " / " + b.get().code()), "codes", false);
        return page("compare", new Views.ComparePage(chrome, title, comparison.summary(catalogue), parts,
                words.phrase("section.differences"), comparison.differences(), words.phrase("section.use"),
                comparison.whenToUse(), words.phrase("section.learn"), learn), Caching.PAGE);
    }

    private WebResponse explain(WebRequest r, String lang) {
        String line = r.query("line");
        if (line == null || line.isBlank()) {
            return WebResponse.redirect(303, Paths.codes(lang), Caching.NONE, null);
        }
        boolean truncated = line.length() > MAX_INPUT;
        String input = truncated ? line.substring(0, MAX_INPUT) : line;
        Catalogue catalogue = site.catalogue(lang);
        String bare = input.strip();
        if (isCode(bare) && catalogue.find(bare).isPresent()) {
            return WebResponse.redirect(303, Paths.code(lang, bare), Caching.NONE, null);
        }
        BounceReading reading = BounceReading.of(catalogue, site.providers(), input);
        LanguagePack words = catalogue.language();
        ProviderAdvice advice = new ProviderAdvice(words);
        List<Advice> advices = reading.providers().stream().map(m -> advice(advice, m)).toList();
        List<Page.Section> generic = reading.entries().isEmpty() ? List.of()
                : new ExplainPage(catalogue).build(reading.entries()).sections();
        String title = advices.isEmpty() ? words.phrase("web.explain.title") : advices.getFirst().heading();
        Chrome chrome = site.chrome(r, lang, title, words.phrase("web.explain.description"),
                l -> Paths.explain(l, input), crumbs(words, lang, words.phrase("web.explain.title")), "codes", true);
        return page("explain", new Views.ExplainPage(chrome, input, truncated, advices, reading.notes(),
                linkRelated(generic, words, lang), reading.isEmpty()), Caching.NONE);
    }

    static Advice advice(ProviderAdvice words, ProviderMatch m) {
        ProviderEntry e = m.entry();
        List<LinkView> links = words.links(m).stream().map(l -> new LinkView(words.linkLabel(l), l.url())).toList();
        return new Advice(e.id(), words.heading(m), words.trigger(e), e.wording(), words.party(e), words.advice(e),
                e.since(), links, new LinkView(words.sourceText(m), e.source()));
    }

    private WebResponse providers(WebRequest r, String lang) {
        LanguagePack words = site.catalogue(lang).language();
        Chrome chrome = site.chrome(r, lang, words.phrase("web.providers.title"), words.phrase("web.providers.description"),
                Paths::providers, crumbs(words, lang, words.phrase("web.nav.providers")), "providers", false);
        return page("providers", new Views.ProvidersPage(chrome, providerLinks(lang, words)), Caching.PAGE);
    }

    private WebResponse provider(WebRequest r, String lang) {
        Optional<Provider> provider = site.providers().provider(r.param("id"));
        if (provider.isEmpty()) {
            return fallbacks.notFound(r);
        }
        Provider p = provider.get();
        LanguagePack words = site.catalogue(lang).language();
        ProviderAdvice advice = new ProviderAdvice(words);
        List<Views.ProviderEntryView> entries = p.entries().stream().map(e -> new Views.ProviderEntryView(
                advice(advice, new ProviderMatch(p, e)),
                e.samples().stream().map(s -> new Views.Example(s, Paths.explain(lang, s))).toList())).toList();
        List<LinkView> links = p.links().stream().map((Link l) -> new LinkView(advice.linkLabel(l), l.url())).toList();
        String title = words.fill("web.provider.title", Map.of("provider", p.name()));
        Chrome chrome = site.chrome(r, lang, title, words.fill("web.provider.description", Map.of("provider", p.name())),
                l -> Paths.provider(l, p.id()), List.of(new Crumb(words.phrase("web.smtp"), Paths.codes(lang)),
                        new Crumb(words.phrase("web.nav.providers"), Paths.providers(lang)), new Crumb(p.name(), null)),
                "providers", false);
        return page("provider", new Views.ProviderPage(chrome, title, p.domains(), links, entries), Caching.PAGE);
    }

    private WebResponse page(String template, Object model, Caching caching) {
        return WebResponse.html(200, site.templates().render(template + ".jte", model), caching);
    }
}
