package dev.posthorn.web.pages;

import dev.posthorn.codes.Catalogue;
import dev.posthorn.codes.providers.ProviderCatalogue;
import dev.posthorn.web.assets.StaticAssets;
import dev.posthorn.web.http.WebRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** What every page shares: languages, catalogues, templates, assets, and the layout's {@link Chrome}. */
public final class Site {

    private final Languages languages;
    private final ProviderCatalogue providers;
    private final Templates templates;
    private final StaticAssets assets;
    private final String version;

    public Site(Languages languages, ProviderCatalogue providers, Templates templates, StaticAssets assets,
                String version) {
        this.languages = languages;
        this.providers = providers;
        this.templates = templates;
        this.assets = assets;
        this.version = version;
    }

    public Languages languages() {
        return languages;
    }

    public ProviderCatalogue providers() {
        return providers;
    }

    public Templates templates() {
        return templates;
    }

    public Catalogue catalogue(String lang) {
        return Catalogue.load(lang);
    }

    /**
     * The layout's model for a page that exists in every language at {@code pathIn.apply(lang)}: canonical
     * link, hreflang alternates (and x-default, the English page) and the language switcher all point at it.
     */
    public Chrome chrome(WebRequest request, String lang, String title, String description,
                         Function<String, String> pathIn, List<Chrome.Crumb> breadcrumb, String section,
                         boolean noindex) {
        String base = request.baseUrl();
        List<Chrome.Alternate> alternates = new ArrayList<>();
        List<Chrome.LangLink> switcher = new ArrayList<>();
        for (String other : languages.available()) {
            alternates.add(new Chrome.Alternate(other, base + pathIn.apply(other)));
            switcher.add(new Chrome.LangLink(other, catalogue(other).language().name(), pathIn.apply(other),
                    other.equals(lang)));
        }
        alternates.add(new Chrome.Alternate("x-default", base + pathIn.apply(Catalogue.DEFAULT_LANGUAGE)));
        Chrome.Head head = new Chrome.Head(title, description, base + pathIn.apply(lang), alternates, noindex);
        return new Chrome(lang, catalogue(lang).language(), head, switcher, breadcrumb, section,
                assets.url("posthorn.css"), assets.url("icon.svg"), version);
    }
}
