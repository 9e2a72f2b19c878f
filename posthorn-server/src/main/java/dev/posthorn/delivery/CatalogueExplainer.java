package dev.posthorn.delivery;

import dev.posthorn.codes.Audience;
import dev.posthorn.codes.Catalogue;
import dev.posthorn.codes.CodeEntry;
import dev.posthorn.codes.Reply;
import dev.posthorn.codes.ReplyName;
import dev.posthorn.codes.ServerReplies;
import dev.posthorn.delivery.remote.RemoteReply;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Explains a remote reply from the codes catalogue: the enhanced code's meaning when the remote sent one the
 * catalogue knows for that class, else the basic code's, and the advice for the person who sent the mail.
 * Unknown codes fall back to what their class says (RFC 5321 §4.2.1).
 */
public final class CatalogueExplainer implements ReplyExplainer {

    private static final String PHRASE_PREFIX = "delivery.explain.";
    private static final Map<ReplyName, Pattern> OWN_REPLIES = ownReplies();

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

    /**
     * The code's explanation, and when the reply is one Posthorn makes from the catalogue with its own explanation
     * (phrase {@code delivery.explain.<NAME>}: TLS policy deferrals), that explanation after it.
     */
    @Override
    public String explain(RemoteReply reply, Locale lang) {
        String general = explain(reply.code(), reply.enhanced(), lang);
        ReplyName name = OWN_REPLIES.entrySet().stream().filter(e -> e.getValue().matcher(reply.lines().get(0)).matches()
                && ServerReplies.instance().template(e.getKey()).code() == reply.code()).map(Map.Entry::getKey)
                .findFirst().orElse(null);
        if (name == null) {
            return general;
        }
        String key = PHRASE_PREFIX + name.name();
        String specific = catalogue(lang).language().phrases().get(key);
        if (specific == null) {
            specific = catalogue(null).language().phrases().get(key);
        }
        return specific == null ? general : general + " " + specific;
    }

    /** Templates of the replies that have their own explanation, as patterns over a reply's first line. */
    private static Map<ReplyName, Pattern> ownReplies() {
        Map<String, String> phrases = Catalogue.load(Catalogue.DEFAULT_LANGUAGE).language().phrases();
        Map<ReplyName, Pattern> out = new EnumMap<>(ReplyName.class);
        for (ReplyName name : ReplyName.values()) {
            if (!phrases.containsKey(PHRASE_PREFIX + name.name())) {
                continue;
            }
            Reply t = ServerReplies.instance().template(name);
            StringBuilder regex = new StringBuilder();
            if (t.enhanced() != null) {
                regex.append(Pattern.quote(t.enhanced() + " "));
            }
            String[] parts = t.lines().get(0).split("%s", -1);
            for (int i = 0; i < parts.length; i++) {
                regex.append(Pattern.quote(parts[i]));
                if (i < parts.length - 1) {
                    regex.append(".*");
                }
            }
            out.put(name, Pattern.compile(regex.toString(), Pattern.DOTALL));
        }
        return out;
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
