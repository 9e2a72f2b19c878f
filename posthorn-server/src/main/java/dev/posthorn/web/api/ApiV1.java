package dev.posthorn.web.api;

import dev.posthorn.codes.Catalogue;
import dev.posthorn.codes.CodeEntry;
import dev.posthorn.codes.CodeFacts;
import dev.posthorn.codes.Comparison;
import dev.posthorn.codes.JsonRenderer;
import dev.posthorn.codes.LanguagePack;
import dev.posthorn.codes.NearbyCodes;
import dev.posthorn.codes.providers.BounceReading;
import dev.posthorn.codes.providers.ProviderAdvice;
import dev.posthorn.codes.providers.ProviderMatch;
import dev.posthorn.web.WebModule;
import dev.posthorn.web.http.Caching;
import dev.posthorn.web.http.ConcurrencyLimit;
import dev.posthorn.web.http.Fallbacks;
import dev.posthorn.web.http.Routes;
import dev.posthorn.web.http.WebRequest;
import dev.posthorn.web.http.WebResponse;
import dev.posthorn.web.pages.ApiJson;
import dev.posthorn.web.pages.Paths;
import dev.posthorn.web.pages.ReferencePages;
import dev.posthorn.web.pages.Site;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The reference as JSON for scripts, {@code ?lang=} choosing the language (default en):
 * <ul>
 *   <li>{@code GET /api/v1/codes}: {@code {language, basic: [{code, title, class, url}], enhanced: [{key, title,
 *       classes, url}]}}</li>
 *   <li>{@code GET /api/v1/codes/{code}}: the object of {@code posthorn explain CODE --format json}</li>
 *   <li>{@code GET /api/v1/compare/{a}/{b}}: the object of {@code posthorn compare A B --format json}</li>
 *   <li>{@code GET /api/v1/explain?line=}: {@code {input, providers: [...], codes: [...], notes: [...]}}</li>
 * </ul>
 * Errors are {@code {"error": {"status", "message"}}} with the HTTP status; explain answers 503 with Retry-After
 * when too many pastes are being read at once.
 */
public final class ApiV1 implements WebModule {

    private final Site site;
    private final Fallbacks fallbacks;
    private final ConcurrencyLimit explains;

    public ApiV1(Site site, Fallbacks fallbacks, ConcurrencyLimit explains) {
        this.site = site;
        this.fallbacks = fallbacks;
        this.explains = explains;
    }

    @Override
    public void register(Routes routes) {
        routes.get("/api/v1/codes", this::codes);
        routes.get("/api/v1/codes/{code}", this::code);
        routes.get("/api/v1/compare/{a}/{b}", this::compare);
        routes.get("/api/v1/explain", explains.guard(this::explain, fallbacks));
    }

    private Optional<Catalogue> catalogue(WebRequest r) {
        String lang = r.query("lang") == null ? Catalogue.DEFAULT_LANGUAGE : r.query("lang");
        return site.languages().has(lang) ? Optional.of(site.catalogue(lang)) : Optional.empty();
    }

    private WebResponse badLanguage(WebRequest r) {
        return error(400, "no language '" + r.query("lang") + "'; available: "
                + String.join(", ", site.languages().available()));
    }

    private static WebResponse error(int status, String message) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("status", status);
        error.put("message", message);
        return WebResponse.json(status, ApiJson.write(Map.of("error", error)), Caching.NONE);
    }

    private WebResponse codes(WebRequest r) {
        Optional<Catalogue> found = catalogue(r);
        if (found.isEmpty()) {
            return badLanguage(r);
        }
        Catalogue catalogue = found.get();
        LanguagePack words = catalogue.language();
        String lang = words.language();
        List<Map<String, Object>> basic = new ArrayList<>();
        for (String code : catalogue.basicCodes()) {
            CodeEntry e = catalogue.find(code).orElseThrow();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("code", code);
            row.put("title", e.title());
            row.put("class", words.phrase("class." + code.charAt(0)));
            row.put("url", Paths.code(lang, code));
            basic.add(row);
        }
        List<Map<String, Object>> enhanced = new ArrayList<>();
        for (String key : catalogue.enhancedKeys()) {
            CodeFacts facts = catalogue.facts(key).orElseThrow();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("key", key);
            row.put("title", words.enhanced().get(key).title());
            row.put("classes", facts.classes());
            row.put("url", Paths.code(lang, facts.classes().getLast() + key.substring(1)));
            enhanced.add(row);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("language", lang);
        out.put("basic", basic);
        out.put("enhanced", enhanced);
        return WebResponse.json(200, ApiJson.write(out), Caching.PAGE);
    }

    private WebResponse code(WebRequest r) {
        Optional<Catalogue> found = catalogue(r);
        if (found.isEmpty()) {
            return badLanguage(r);
        }
        Catalogue catalogue = found.get();
        String code = r.param("code");
        return catalogue.find(code)
                .map(e -> WebResponse.json(200, JsonRenderer.explain(catalogue, List.of(e)), Caching.PAGE))
                .orElseGet(() -> error(404, new NearbyCodes(catalogue).hint(code)));
    }

    private WebResponse compare(WebRequest r) {
        Optional<Catalogue> found = catalogue(r);
        if (found.isEmpty()) {
            return badLanguage(r);
        }
        Catalogue catalogue = found.get();
        Optional<CodeEntry> a = catalogue.find(r.param("a"));
        Optional<CodeEntry> b = catalogue.find(r.param("b"));
        if (a.isEmpty() || b.isEmpty()) {
            return error(404, new NearbyCodes(catalogue).hint(a.isEmpty() ? r.param("a") : r.param("b")));
        }
        return WebResponse.json(200, JsonRenderer.compare(catalogue, Comparison.of(catalogue, a.get(), b.get())),
                Caching.PAGE);
    }

    private WebResponse explain(WebRequest r) {
        Optional<Catalogue> found = catalogue(r);
        if (found.isEmpty()) {
            return badLanguage(r);
        }
        String line = r.query("line");
        if (line == null || line.isBlank()) {
            return error(400, "give the reply or bounce to explain as ?line=");
        }
        if (line.length() > ReferencePages.MAX_INPUT) {
            return error(413, "line is longer than " + ReferencePages.MAX_INPUT + " characters");
        }
        Catalogue catalogue = found.get();
        BounceReading reading = BounceReading.of(catalogue, site.providers(), line);
        ProviderAdvice advice = new ProviderAdvice(catalogue.language());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("input", line);
        out.put("providers", reading.providers().stream().map(m -> provider(advice, m)).toList());
        out.put("codes", reading.entries().stream().map(e -> JsonRenderer.entry(catalogue, e)).toList());
        out.put("notes", reading.notes());
        return WebResponse.json(reading.isEmpty() ? 422 : 200, ApiJson.write(out), Caching.NONE);
    }

    private static Map<String, Object> provider(ProviderAdvice advice, ProviderMatch m) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("provider", m.provider().id());
        out.put("id", m.entry().id());
        out.put("reply", m.entry().replySpec().toString());
        out.put("title", advice.title(m.entry()));
        out.put("wording", m.entry().wording());
        out.put("trigger", advice.trigger(m.entry()));
        out.put("actor", m.entry().actor().key());
        out.put("advice", advice.advice(m.entry()));
        out.put("since", m.entry().since());
        out.put("links", advice.links(m).stream().map(l -> Map.of("kind", l.kind(), "url", l.url())).toList());
        out.put("source", m.entry().source());
        out.put("retrieved", m.entry().retrieved());
        return out;
    }
}
