package dev.posthorn.delivery;

import dev.posthorn.codes.Audience;
import dev.posthorn.codes.Catalogue;
import dev.posthorn.codes.CodeEntry;
import java.util.Locale;
import java.util.Optional;

/**
 * Explains a remote reply from the codes catalogue: the enhanced code's meaning when the remote sent one the
 * catalogue knows for that class, else the basic code's, and the advice for the person who sent the mail.
 * Unknown codes fall back to what their class says (RFC 5321 §4.2.1).
 */
public final class CatalogueExplainer implements ReplyExplainer {

    @Override
    public String explain(int code, String enhanced, Locale lang) {
        Catalogue catalogue = catalogue(lang);
        Optional<CodeEntry> entry = enhanced == null ? Optional.empty() : catalogue.find(enhanced);
        if (entry.isEmpty()) {
            entry = catalogue.find(String.valueOf(code));
        }
        if (entry.isEmpty()) {
            return classOnly(code);
        }
        CodeEntry e = entry.get();
        StringBuilder out = new StringBuilder();
        out.append(e.code()).append(' ').append(e.title()).append(": ").append(e.text().meaning());
        String fix = e.text().fix().getOrDefault(Audience.USER, e.text().fix().get(Audience.ALL));
        if (fix != null) {
            out.append(" What to do: ").append(fix);
        }
        return out.toString();
    }

    private static Catalogue catalogue(Locale lang) {
        try {
            return Catalogue.load(lang == null ? Catalogue.DEFAULT_LANGUAGE : lang.getLanguage());
        } catch (Catalogue.UnknownLanguageException e) {
            return Catalogue.load(Catalogue.DEFAULT_LANGUAGE);
        }
    }

    private static String classOnly(int code) {
        return switch (code / 100) {
            case 2 -> "Success: the server accepted the request.";
            case 3 -> "The server waits for more input.";
            case 4 -> "A temporary failure: the condition may clear, so the message is retried.";
            default -> "A permanent failure: sending the same message again will not help.";
        };
    }
}
