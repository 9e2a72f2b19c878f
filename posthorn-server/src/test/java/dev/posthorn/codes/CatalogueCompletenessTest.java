package dev.posthorn.codes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every code of issue #4 is in the catalogue, and every language explains every code with every field. */
class CatalogueCompletenessTest {

    /** The basic codes RFC 5321, 3207, 4954, 6409, 7504, 1870, 3030 and 6531 define or use (432: RFC 4954 §6). */
    static final List<String> BASIC_CODES = List.of("211", "214", "220", "221", "235", "250", "251", "252", "334",
            "354", "421", "432", "450", "451", "452", "454", "455", "500", "501", "502", "503", "504", "521", "523",
            "530", "534", "535", "538", "550", "551", "552", "553", "554", "555", "556");

    /** The IANA "SMTP Enhanced Status Codes" registry, subject by subject, with the last detail of each. */
    static final Map<Integer, Integer> REGISTRY_LAST_DETAIL = Map.of(0, 0, 1, 10, 2, 4, 3, 6, 4, 7, 5, 6, 6, 10, 7, 30);

    static Stream<String> languages() {
        return Catalogue.languages().stream();
    }

    @Test
    void languagesAreFoundByListingTheLanguageDirectory() {
        assertThat(Catalogue.languages()).contains("en", "tr");
    }

    @Test
    void everyBasicCodeOfTheStandardsIsCatalogued() {
        assertThat(Catalogue.load("en").basicCodes()).containsExactlyElementsOf(BASIC_CODES);
    }

    @Test
    void everyRegisteredEnhancedCodeIsCatalogued() {
        List<String> registry = new ArrayList<>();
        for (int subject = 0; subject <= 7; subject++) {
            for (int detail = 0; detail <= REGISTRY_LAST_DETAIL.get(subject); detail++) {
                registry.add("X." + subject + "." + detail);
            }
        }
        assertThat(Catalogue.load("en").enhancedKeys()).containsExactlyElementsOf(registry);
    }

    @ParameterizedTest
    @MethodSource("languages")
    void everyCodeHasEveryFieldInEveryLanguage(String language) {
        Catalogue catalogue = Catalogue.load(language);
        List<String> missing = new ArrayList<>();
        for (String code : catalogue.basicCodes()) {
            missing.addAll(missingFields(code, catalogue.language().basic().get(code)));
        }
        for (String key : catalogue.enhancedKeys()) {
            missing.addAll(missingFields(key, catalogue.language().enhanced().get(key)));
        }
        assertThat(missing).as("missing or empty fields in codes/lang/%s.json", language).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("languages")
    void languageFileHasNoCodesTheCatalogueLacks(String language) {
        Catalogue catalogue = Catalogue.load(language);
        assertThat(catalogue.language().basic().keySet()).containsExactlyInAnyOrderElementsOf(catalogue.basicCodes());
        assertThat(catalogue.language().enhanced().keySet())
                .containsExactlyInAnyOrderElementsOf(catalogue.enhancedKeys());
    }

    /** A language must give every phrase English gives, with the same placeholders, or pages break at run time. */
    @ParameterizedTest
    @MethodSource("languages")
    void everyPhraseAndPlaceholderOfEnglishExists(String language) {
        Map<String, String> english = Catalogue.load("en").language().phrases();
        Map<String, String> other = Catalogue.load(language).language().phrases();
        assertThat(other.keySet()).containsExactlyInAnyOrderElementsOf(english.keySet());
        english.forEach((key, text) -> assertThat(placeholders(other.get(key)))
                .as("placeholders of '%s' in %s", key, language).isEqualTo(placeholders(text)));
    }

    @ParameterizedTest
    @MethodSource("languages")
    void fileDeclaresItsOwnLanguage(String language) throws IOException {
        try (InputStream in = Catalogue.class.getResourceAsStream("/codes/lang/" + language + ".json")) {
            JsonNode root = new ObjectMapper().readTree(in);
            assertThat(root.get("language").asText()).isEqualTo(language);
            assertThat(root.get("name").asText()).isNotBlank();
        }
    }

    private static List<String> missingFields(String code, CodeText text) {
        if (text == null) {
            return List.of(code + ": no entry");
        }
        List<String> missing = new ArrayList<>();
        Map<String, String> fields = new java.util.LinkedHashMap<>();
        fields.put("title", text.title());
        fields.put("meaning", text.meaning());
        fields.put("when", text.when());
        fields.put("use", text.use());
        fields.forEach((name, value) -> {
            if (value == null || value.isBlank()) {
                missing.add(code + "." + name);
            }
        });
        if (text.fix().isEmpty() || text.fix().values().stream().anyMatch(v -> v == null || v.isBlank())) {
            missing.add(code + ".fix");
        }
        if (text.fix().containsKey(Audience.ALL) && text.fix().size() > 1) {
            missing.add(code + ".fix: 'all' together with per-audience advice");
        }
        return missing;
    }

    private static Set<String> placeholders(String text) {
        Set<String> found = new TreeSet<>();
        Matcher m = Pattern.compile("\\{([a-zA-Z]+)}").matcher(text);
        while (m.find()) {
            found.add(m.group(1));
        }
        return found;
    }
}
