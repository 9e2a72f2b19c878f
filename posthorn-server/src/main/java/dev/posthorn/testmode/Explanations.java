package dev.posthorn.testmode;

import dev.posthorn.codes.Catalogue;
import dev.posthorn.codes.CodeEntry;
import dev.posthorn.codes.Reply;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** What a reply means, in the catalogue's words: what a failing test prints next to the reply it met. */
public final class Explanations {

    private Explanations() {
    }

    /**
     * One line per code the catalogue knows: {@code "451: <title>. <meaning>"} for the basic code, then the same
     * for the enhanced code; empty when the catalogue knows neither.
     */
    public static List<String> of(Reply reply) {
        Catalogue catalogue = Catalogue.load(Catalogue.DEFAULT_LANGUAGE);
        List<String> lines = new ArrayList<>(2);
        line(catalogue.find(String.valueOf(reply.code()))).ifPresent(lines::add);
        if (reply.enhanced() != null) {
            line(catalogue.find(reply.enhanced())).ifPresent(lines::add);
        }
        return lines;
    }

    private static Optional<String> line(Optional<CodeEntry> entry) {
        return entry.map(e -> e.code() + ": " + e.title() + ". " + e.text().meaning());
    }
}
