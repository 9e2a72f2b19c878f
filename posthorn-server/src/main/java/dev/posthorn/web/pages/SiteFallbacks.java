package dev.posthorn.web.pages;

import dev.posthorn.codes.LanguagePack;
import dev.posthorn.web.http.Caching;
import dev.posthorn.web.http.Fallbacks;
import dev.posthorn.web.http.WebRequest;
import dev.posthorn.web.http.WebResponse;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * 404, 405, 500 and 503 in the site's look and in the reader's language (the one in the address, else
 * Accept-Language); under {@code /api/} as JSON: {@code {"error": {"status": 404, "message": "..."}}}.
 */
public final class SiteFallbacks implements Fallbacks {

    private final Site site;

    public SiteFallbacks(Site site) {
        this.site = site;
    }

    @Override
    public WebResponse notFound(WebRequest request) {
        String lang = languageOf(request);
        return notFound(request, lang, null);
    }

    /** A 404 with a hint ("5.7.99 is not in the IANA registry; known 5.7.x codes: ..."). */
    public WebResponse notFound(WebRequest request, String lang, String hint) {
        LanguagePack words = site.catalogue(lang).language();
        return error(request, 404, lang, words.phrase("web.notFound.title"), words.phrase("web.notFound.text"), hint);
    }

    @Override
    public WebResponse methodNotAllowed(WebRequest request, Set<String> allowed) {
        String lang = languageOf(request);
        return error(request, 405, lang, "405", String.join(", ", allowed), null);
    }

    @Override
    public WebResponse serverError(WebRequest request) {
        String lang = languageOf(request);
        LanguagePack words = site.catalogue(lang).language();
        return error(request, 500, lang, words.phrase("web.error.title"), words.phrase("web.error.text"), null);
    }

    @Override
    public WebResponse busy(WebRequest request, int retryAfterSeconds) {
        String lang = languageOf(request);
        LanguagePack words = site.catalogue(lang).language();
        return error(request, 503, lang, words.phrase("web.busy.title"), words.phrase("web.busy.text"), null);
    }

    private WebResponse error(WebRequest request, int status, String lang, String title, String text, String hint) {
        if (request.path().startsWith("/api/")) {
            String message = hint != null ? hint : text;
            return WebResponse.json(status, ApiJson.write(Map.of("error", Map.of("status", status, "message", message))),
                    Caching.NONE);
        }
        Chrome chrome = site.chrome(request, lang, title, text, Paths::codes,
                List.of(new Chrome.Crumb(site.catalogue(lang).language().phrase("web.smtp"), Paths.codes(lang))),
                null, true);
        return WebResponse.html(status, site.templates().render("error.jte",
                new Views.ErrorPage(chrome, title, text, hint)), Caching.NONE);
    }

    private String languageOf(WebRequest request) {
        String[] segments = request.path().split("/");
        if (segments.length > 1 && site.languages().has(segments[1])) {
            return segments[1];
        }
        String query = request.query("lang");
        return site.languages().has(query) ? query : site.languages().negotiate(request.header("accept-language"));
    }
}
