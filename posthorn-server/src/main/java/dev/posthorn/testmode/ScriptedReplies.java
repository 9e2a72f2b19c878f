package dev.posthorn.testmode;

import dev.posthorn.codes.Catalogue;
import dev.posthorn.codes.CodeEntry;
import dev.posthorn.codes.Reply;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replies a test asks for by code: {@code "550 5.1.1"}, {@code "451-4.7.1"} (the form of an address trigger's local
 * part), {@code "421"}, or with its own text, {@code "550 5.1.1 No such user here"}. Without a text, the reply says
 * what the catalogue calls the code (the enhanced code's title, else the basic code's), so the wire shows a
 * meaningful reply.
 */
public final class ScriptedReplies {

    private static final Pattern SPEC = Pattern.compile("([2-5]\\d\\d)(?:[ -]([245]\\.\\d{1,3}\\.\\d{1,3}))?(?: (.+))?");
    private static final String GENERIC_TEXT = "Scripted reply";

    private ScriptedReplies() {
    }

    /** The reply for a spec, or empty when the text is not one (an address whose local part is a name, say). */
    public static Optional<Reply> parse(String spec) {
        Matcher m = SPEC.matcher(spec.strip());
        if (!m.matches()) {
            return Optional.empty();
        }
        int code = Integer.parseInt(m.group(1));
        String enhanced = m.group(2);
        if (enhanced != null && enhanced.charAt(0) != m.group(1).charAt(0)) {
            return Optional.empty(); // RFC 3463 §2: the class of the enhanced code is that of the reply
        }
        String text = m.group(3) != null ? m.group(3) : catalogueText(m.group(1), enhanced);
        return Optional.of(new Reply(code, enhanced, text));
    }

    /** As {@link #parse}, for a spec a test wrote by hand: an unusable one is the test's mistake. */
    public static Reply of(String spec) {
        return parse(spec).orElseThrow(() -> new IllegalArgumentException(
                "not a reply: \"" + spec + "\" (write it as \"550 5.1.1\", \"451-4.7.1\", \"421\" or \"550 5.1.1 text\")"));
    }

    private static String catalogueText(String code, String enhanced) {
        Catalogue catalogue = Catalogue.load(Catalogue.DEFAULT_LANGUAGE);
        Optional<CodeEntry> entry = enhanced == null ? Optional.empty() : catalogue.find(enhanced);
        if (entry.isEmpty()) {
            entry = catalogue.find(code);
        }
        return entry.map(CodeEntry::title).orElse(GENERIC_TEXT);
    }
}
