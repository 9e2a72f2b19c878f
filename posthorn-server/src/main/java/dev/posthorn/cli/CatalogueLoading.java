package dev.posthorn.cli;

import dev.posthorn.codes.Catalogue;
import java.io.PrintWriter;
import java.util.Optional;

/** Loads the catalogue for {@code --lang}; an unknown language is one line on stderr naming the known ones. */
final class CatalogueLoading {

    private CatalogueLoading() {
    }

    static Optional<Catalogue> load(String language, PrintWriter err) {
        try {
            // Language files are named in lower case ("tr.json"); accept "--lang TR" too.
            return Optional.of(Catalogue.load(language.toLowerCase(java.util.Locale.ROOT)));
        } catch (Catalogue.UnknownLanguageException e) {
            err.println("posthorn: " + e.getMessage());
            return Optional.empty();
        }
    }
}
