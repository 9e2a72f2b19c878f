package dev.posthorn.web.pages;

import dev.posthorn.codes.Catalogue;
import java.util.List;
import java.util.Locale;

/** The site's languages (one per catalogue language file) and the choice among them from Accept-Language. */
public final class Languages {

    private final List<String> available;

    public Languages() {
        this(Catalogue.languages());
    }

    Languages(List<String> available) {
        this.available = List.copyOf(available);
    }

    public List<String> available() {
        return available;
    }

    public boolean has(String language) {
        return language != null && available.contains(language);
    }

    /** The best language for an Accept-Language header (RFC 9110 §12.5.4), English when none fits. */
    public String negotiate(String acceptLanguage) {
        if (acceptLanguage == null || acceptLanguage.isBlank()) {
            return Catalogue.DEFAULT_LANGUAGE;
        }
        try {
            List<Locale.LanguageRange> ranges = Locale.LanguageRange.parse(acceptLanguage);
            for (Locale.LanguageRange range : ranges) {
                if (range.getWeight() <= 0) {
                    continue;
                }
                String primary = range.getRange().split("-")[0].toLowerCase(Locale.ROOT);
                if (available.contains(primary)) {
                    return primary;
                }
            }
        } catch (IllegalArgumentException malformed) {
            // A header we cannot read is no preference at all.
        }
        return Catalogue.DEFAULT_LANGUAGE;
    }
}
