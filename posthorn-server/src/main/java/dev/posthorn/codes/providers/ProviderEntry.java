package dev.posthorn.codes.providers;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One documented bounce of one provider, from {@code codes/providers/<provider>.json}.
 *
 * @param reply         the reply code and enhanced code ({@link ReplySpec} form)
 * @param patterns      regular expressions, any of which finds the provider's text in a pasted bounce
 *                      (matched case-insensitively against the text with its lines joined)
 * @param wording       the provider's own reply text, as the server receives it
 * @param title         a short name per language
 * @param trigger       what makes the provider send it, per language
 * @param actor         who must act
 * @param advice        what to do, per language
 * @param since         when the policy behind it started to apply ("2024-02"), or null
 * @param source        the provider's reference page for this entry
 * @param retrieved     the day that page was read (ISO date)
 * @param wordingSeenIn a public page quoting the exact wording where the provider's own page does not, or null
 * @param samples       real-looking bounce lines that must be recognised as this entry and no other
 * @param negativeSamples other servers' replies on the same subject (same code, the same common words) that
 *                      must not be recognised as this entry: they keep its patterns from reaching too far
 */
public record ProviderEntry(String id, String reply, List<String> patterns, String wording,
                            Map<String, String> title, Map<String, String> trigger, Party actor,
                            Map<String, String> advice, String since, List<Link> links, String source,
                            String retrieved, String wordingSeenIn, List<String> samples,
                            List<String> negativeSamples) {

    public ProviderEntry {
        Objects.requireNonNull(id, "id");
        patterns = List.copyOf(Objects.requireNonNull(patterns, "patterns of " + id));
        title = Map.copyOf(Objects.requireNonNull(title, "title of " + id));
        trigger = Map.copyOf(Objects.requireNonNull(trigger, "trigger of " + id));
        advice = Map.copyOf(Objects.requireNonNull(advice, "advice of " + id));
        links = links == null ? List.of() : List.copyOf(links);
        samples = samples == null ? List.of() : List.copyOf(samples);
        negativeSamples = negativeSamples == null ? List.of() : List.copyOf(negativeSamples);
    }

    public ReplySpec replySpec() {
        return ReplySpec.parse(reply);
    }

    /** The text in {@code language}, or in English when the language has none yet. */
    public static String in(Map<String, String> texts, String language) {
        String text = texts.get(language);
        return text != null ? text : texts.get("en");
    }
}
