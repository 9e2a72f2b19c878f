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
        LanguagePack en = Catalogue.load("en").language();
        assertThat(en.phrase("unknown.enhancedClass")).contains("RFC 3463 §2");
        assertThat(en.phrase("warn.classMismatch")).contains("RFC 2034 §4");
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
}
