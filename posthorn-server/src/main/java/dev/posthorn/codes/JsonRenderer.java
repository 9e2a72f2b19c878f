package dev.posthorn.codes;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON for scripts. An explained code has exactly the fields {@code code, class, title, meaning, when, fix,
 * rfc, related}; {@code fix} maps an audience (all, user, developer, operator) to advice.
 */
public final class JsonRenderer {

    private static final ObjectWriter WRITER = new ObjectMapper().writer(new DefaultPrettyPrinter()
            .withSeparators(Separators.createDefaultInstance()
                    .withObjectFieldValueSpacing(Separators.Spacing.AFTER)));

    private JsonRenderer() {
    }

    /** One code as an object; the two codes of a pasted reply line as an array of two objects. */
    public static String explain(Catalogue catalogue, List<CodeEntry> entries) {
        Object value = entries.size() == 1 ? entry(catalogue, entries.getFirst())
                : entries.stream().map(e -> entry(catalogue, e)).toList();
        return write(value);
    }

    public static String compare(Catalogue catalogue, Comparison comparison) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("title", comparison.title());
        out.put("a", entry(catalogue, comparison.a()));
        out.put("b", entry(catalogue, comparison.b()));
        out.put("differences", comparison.differences());
        out.put("whenToUse", comparison.whenToUse());
        return write(out);
    }

    /** One code as the JSON object of {@code explain --format json} (and of the web API). */
    public static Map<String, Object> entry(Catalogue catalogue, CodeEntry e) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("code", e.code());
        out.put("class", new Words(catalogue.language()).classLabel(e));
        out.put("title", e.title());
        out.put("meaning", e.text().meaning());
        out.put("when", e.text().when());
        Map<String, String> fix = new LinkedHashMap<>();
        e.text().fix().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(f -> fix.put(f.getKey().key(), f.getValue()));
        out.put("fix", fix);
        out.put("rfc", e.facts().rfc());
        out.put("related", e.facts().related().stream().map(r -> catalogue.resolveRelated(r, e)).toList());
        return out;
    }

    private static String write(Object value) {
        try {
            return WRITER.writeValueAsString(value) + "\n";
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
