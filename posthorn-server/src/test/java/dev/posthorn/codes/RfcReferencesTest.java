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
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every "RFC nnnn §x.y" the catalogue shows a reader names a section that exists: the facts' references and
 * class rules, the replies, and the words of every language are checked against the section titles of the
 * cited RFCs, kept as test data in {@code codes/rfc-sections.tsv}.
 */
class RfcReferencesTest {

    private static final Pattern CITATION = Pattern.compile("RFC (\\d{3,5})(?: §([0-9A-Z]+(?:\\.[0-9A-Z]+)*))?");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** RFC number to its sections (section "-" is the document itself) and their titles. */
    private static Map<Integer, Map<String, String>> sections;

    @BeforeAll
    static void readSections() throws IOException {
        sections = new TreeMap<>();
        for (String[] cols : TsvResource.rows("/codes/rfc-sections.tsv")) {
            sections.computeIfAbsent(Integer.parseInt(cols[0]), n -> new TreeMap<>()).put(cols[1], cols[2]);
        }
    }

    @Test
    void everyCitedSectionExists() throws IOException {
        List<String> unknown = new ArrayList<>();
        for (Citation c : citations()) {
            Map<String, String> of = sections.get(c.rfc());
            if (of == null) {
                unknown.add(c + " in " + c.where() + ": RFC not in rfc-sections.tsv");
            } else if (c.section() != null && !of.containsKey(c.section())) {
                unknown.add(c + " in " + c.where() + ": no such section");
            }
        }
        assertThat(unknown).isEmpty();
    }

    /** The list holds only RFCs the catalogue cites, so that it cannot quietly go stale. */
    @Test
    void everyListedRfcIsCited() throws IOException {
        Set<Integer> cited = new TreeSet<>();
        citations().forEach(c -> cited.add(c.rfc()));
        assertThat(sections.keySet()).containsExactlyInAnyOrderElementsOf(cited);
        sections.forEach((rfc, of) -> assertThat(of).as("RFC %d has its title", rfc).containsKey("-"));
    }

    @Test
    void theRulesOfThisIssueCiteTheRightSections() throws IOException {
        // RFC 3463 §2 defines the class syntax; RFC 2034 §4 makes the class agree with the reply's first digit.
        assertThat(sections.get(3463)).containsEntry("2", "Status Code Structure");
        assertThat(sections.get(2034)).containsEntry("4", "The Enhanced-Status-Codes service extension");
        for (String language : Catalogue.languages()) {
            LanguagePack words = Catalogue.load(language).language();
            assertThat(words.phrase("unknown.enhancedClass")).as(language).contains("RFC 3463 §2");
            assertThat(words.phrase("warn.classMismatch")).as(language).contains("RFC 2034 §4")
                    .doesNotContain("RFC 3463");
        }
    }

    private record Citation(int rfc, String section, String where) {
        @Override
        public String toString() {
            return "RFC " + rfc + (section == null ? "" : " §" + section);
        }
    }

    /** Every citation in the catalogue's resources, with the JSON path it was found at. */
    private static List<Citation> citations() throws IOException {
        List<Citation> found = new ArrayList<>();
        List<String> files = new ArrayList<>(List.of("/codes/catalogue.json", "/codes/replies.json"));
        Catalogue.languages().forEach(l -> files.add("/codes/lang/" + l + ".json"));
        for (String file : files) {
            try (InputStream in = RfcReferencesTest.class.getResourceAsStream(file)) {
                collect(JSON.readTree(in), file, found);
            }
        }
        return found;
    }

    private static void collect(JsonNode node, String where, List<Citation> found) {
        if (node.isTextual()) {
            Matcher m = CITATION.matcher(node.asText());
            while (m.find()) {
                found.add(new Citation(Integer.parseInt(m.group(1)), m.group(2), where));
            }
        } else if (node.isObject()) {
            node.fields().forEachRemaining(f -> collect(f.getValue(), where + "/" + f.getKey(), found));
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                collect(node.get(i), where + "[" + i + "]", found);
            }
        }
    }

    /**
     * The references issue 18 corrected stay corrected: each row is a code, a reference it must cite and one it
     * must not (the wrong one it had).
     */
    @ParameterizedTest(name = "{0}: {1}, not {2}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
        // RFC 6409 §5.1 (a bad submission address), not RFC 1870 §6 (SIZE).
        "501|RFC 6409 §5.1|RFC 1870 §6",
        // RFC 6409 §6.1 prescribes 550 with 5.7.1 for a sender the user may not use; 553 is practice.
        "553|-|RFC 6409 §6.1",
        "550|RFC 6409 §6.1|-",
        "X.7.1|RFC 6409 §6.1|-",
        // RFC 3207 §4.2 names no code for 503; §4.1 gives 554 to every command once the TLS level is too low.
        "503|-|RFC 3207 §4.2",
        "554|RFC 3207 §4.1|-",
        // RFC 4954 §4: a mechanism that needs encryption or a stronger one is refused at AUTH.
        "538|RFC 4954 §4|-",
        "523|RFC 4954 §4|-",
        // RFC 8314 §3.3 for port 465; RFC 3461 for the DSN parameters (NOTIFY, RET) a 555 refuses.
        "220|RFC 8314 §3.3|-",
        "530|RFC 8314 §3.3|-",
        "555|RFC 3461|-",
        // The greeting and EHLO exemptions, and where enhanced codes go, are RFC 2034 §4.
        "X.3.2|RFC 2034 §4|-",
        "334|RFC 2034 §4|-",
    })
    void referenceCorrectionsOfIssue18Hold(String code, String cites, String notCites) {
        List<String> references = Catalogue.load("en").facts(code).orElseThrow().rfc();
        if (cites != null) {
            assertThat(references).as("references of %s", code).contains(cites);
        }
        if (notCites != null) {
            assertThat(references).as("references of %s", code).doesNotContain(notCites);
        }
    }
}
