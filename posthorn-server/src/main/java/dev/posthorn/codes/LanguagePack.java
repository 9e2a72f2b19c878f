package dev.posthorn.codes;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Everything one language contributes, from {@code codes/lang/<language>.json}: the words for every code,
 * and the phrases and sentence templates the pages are built from. Adding a language is adding such a file.
 *
 * @param phrases  section headings, labels and templates with {@code {name}} placeholders
 * @param basic    texts by basic code ("530")
 * @param enhanced texts by enhanced code with the class left open ("X.7.0")
 */
public record LanguagePack(String language, String name, Map<String, String> phrases,
                           Map<String, CodeText> basic, Map<String, CodeText> enhanced) {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-zA-Z]+)}");

    public LanguagePack {
        phrases = Map.copyOf(phrases);
        basic = Map.copyOf(basic);
        enhanced = Map.copyOf(enhanced);
    }

    public String phrase(String key) {
        String phrase = phrases.get(key);
        if (phrase == null) {
            throw new IllegalStateException("codes/lang/" + language + ".json has no phrase '" + key + "'");
        }
        return phrase;
    }

    /** The template {@code key} with each {@code {name}} replaced; a placeholder without a value is a bug. */
    public String fill(String key, Map<String, String> values) {
        Matcher m = PLACEHOLDER.matcher(phrase(key));
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = values.get(m.group(1));
            if (value == null) {
                throw new IllegalStateException("template '" + key + "' needs a value for {" + m.group(1) + "}");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }
}
