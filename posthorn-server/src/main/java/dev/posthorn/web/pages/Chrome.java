package dev.posthorn.web.pages;

import dev.posthorn.codes.LanguagePack;
import java.util.List;
import java.util.Map;

/**
 * What the shared layout needs on every page: language, head (title, description, canonical, hreflang),
 * the language switcher, the breadcrumb, the stylesheet's address. Words come from the catalogue's language
 * file ({@code web.*} phrases), so adding a language there also translates the site.
 *
 * @param section the navigation entry this page belongs to ("codes", "providers"), marked as current
 */
public record Chrome(String lang, LanguagePack words, Head head, List<LangLink> languages, List<Crumb> breadcrumb,
                     String section, String cssUrl, String iconUrl, String version) {

    /** Title, description and links for the {@code <head>}. */
    public record Head(String title, String description, String canonical, List<Alternate> alternates,
                       boolean noindex) {
    }

    /** {@code <link rel="alternate" hreflang>}: the same page in another language. */
    public record Alternate(String hreflang, String href) {
    }

    /** An entry of the language switcher: the page in that language. */
    public record LangLink(String lang, String name, String href, boolean current) {
    }

    /** A breadcrumb step; the last one, the page itself, has no link. */
    public record Crumb(String label, String href) {
    }

    public String t(String key) {
        return words.phrase(key);
    }

    public String t(String key, String name, String value) {
        return words.fill(key, Map.of(name, value));
    }

    public boolean isSection(String name) {
        return name.equals(section);
    }
}
