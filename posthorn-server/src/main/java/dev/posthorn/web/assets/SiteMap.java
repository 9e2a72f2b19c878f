package dev.posthorn.web.assets;

import dev.posthorn.codes.Catalogue;
import dev.posthorn.codes.CodeFacts;
import dev.posthorn.codes.providers.Provider;
import dev.posthorn.web.WebModule;
import dev.posthorn.web.http.Caching;
import dev.posthorn.web.http.Routes;
import dev.posthorn.web.http.WebRequest;
import dev.posthorn.web.http.WebResponse;
import dev.posthorn.web.pages.Paths;
import dev.posthorn.web.pages.Site;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * {@code /robots.txt} and {@code /sitemap.xml}: every page of the reference in every language, each with its
 * hreflang alternates (sitemaps.org protocol with xhtml:link). Pasted-line pages and the API are not crawled.
 */
public final class SiteMap implements WebModule {

    private final Site site;

    public SiteMap(Site site) {
        this.site = site;
    }

    @Override
    public void register(Routes routes) {
        routes.get("/robots.txt", r -> WebResponse.text(200, "text/plain; charset=utf-8", """
                User-agent: *
                Disallow: /api/
                Disallow: /explain
                %s
                Sitemap: %s/sitemap.xml
                """.formatted(String.join("\n", site.languages().available().stream()
                        .map(l -> "Disallow: " + Paths.explain(l)).toList()), r.baseUrl()), Caching.PAGE));
        routes.get("/sitemap.xml", this::sitemap);
    }

    private WebResponse sitemap(WebRequest r) {
        List<Function<String, String>> pages = new ArrayList<>();
        pages.add(Paths::codes);
        pages.add(Paths::providers);
        Catalogue catalogue = site.catalogue(Catalogue.DEFAULT_LANGUAGE);
        for (String code : catalogue.basicCodes()) {
            pages.add(l -> Paths.code(l, code));
        }
        for (String key : catalogue.enhancedKeys()) {
            CodeFacts facts = catalogue.facts(key).orElseThrow();
            for (int digit : facts.classes()) {
                pages.add(l -> Paths.code(l, digit + key.substring(1)));
            }
        }
        pages.add(l -> Paths.compare(l, "220", "530"));
        for (Provider provider : site.providers().providers()) {
            pages.add(l -> Paths.provider(l, provider.id()));
        }
        StringBuilder xml = new StringBuilder(64 * 1024);
        xml.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
                .append("<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" ")
                .append("xmlns:xhtml=\"http://www.w3.org/1999/xhtml\">\n");
        String base = r.baseUrl();
        for (Function<String, String> page : pages) {
            for (String lang : site.languages().available()) {
                xml.append("<url><loc>").append(escape(base + page.apply(lang))).append("</loc>");
                for (String other : site.languages().available()) {
                    xml.append("<xhtml:link rel=\"alternate\" hreflang=\"").append(other).append("\" href=\"")
                            .append(escape(base + page.apply(other))).append("\"/>");
                }
                xml.append("</url>\n");
            }
        }
        xml.append("</urlset>\n");
        return WebResponse.text(200, "application/xml; charset=utf-8", xml.toString(), Caching.PAGE);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
