package dev.posthorn.codes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.codes.ReplyFinding.Kind;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every note {@code explain} can print is rendered in every language: a template asking for a value the note
 * does not have (a Turkish {@code warn.codesDiffer} using {enhanced}) would only fail at run time otherwise.
 */
class NotesInEveryLanguageTest {

    /** A paste that gives each kind of finding, as a reader would paste it. */
    private static final Map<Kind, String> PASTES = new EnumMap<>(Map.of(
            Kind.CLASS_MISMATCH, "530 4.7.0 Try again",
            Kind.ENHANCED_ON_3XX, "354 2.0.0 Go ahead",
            Kind.ENHANCED_ON_GREETING, "220 2.0.0 mx.example.com ESMTP ready",
            Kind.ENHANCED_ON_EHLO, "EHLO client.example.org\n250-2.0.0 mx.example.com Hello\n250 2.0.0 PIPELINING",
            Kind.ENHANCED_DIFFERS, "550-5.1.1 No such user\n550 5.7.1 Relaying denied",
            Kind.ENHANCED_MISSING, "550-5.1.1 No such user\n550 here",
            Kind.CODES_DIFFER, "550-5.1.1 No such user\n551 5.1.1 Try elsewhere"));

    static Stream<String> languages() {
        return Catalogue.languages().stream();
    }

    @ParameterizedTest
    @MethodSource("languages")
    void everyKindOfFindingIsWorded(String language) {
        assertThat(PASTES).containsOnlyKeys(Kind.values());
        NearbyCodes nearby = new NearbyCodes(Catalogue.load(language));
        PASTES.forEach((kind, paste) -> {
            Lookup lookup = Lookup.parse(paste);
            List<ReplyFinding> findings = lookup.findings();
            assertThat(findings).as(paste).extracting(ReplyFinding::kind).contains(kind);
            findings.forEach(f -> assertThat(nearby.warning(f)).as("%s in %s", kind, language)
                    .isNotBlank().contains(f.basic()).doesNotContain("{"));
            assertThat(nearby.notes(lookup, List.of())).as("%s in %s", kind, language).hasSameSizeAs(findings)
                    .allSatisfy(n -> assertThat(n).doesNotContain("{"));
        });
    }

    /** The web branch's BounceReading calls classMismatch(Lookup): it is the note of the first class mismatch. */
    @Test
    void classMismatchOfAPasteIsTheNoteOfItsMismatch() {
        NearbyCodes nearby = new NearbyCodes(Catalogue.load("en"));
        Lookup lookup = Lookup.parse("530 4.7.0 Try again");
        assertThat(lookup.classesDisagree()).isTrue();
        assertThat(nearby.classMismatch(lookup)).isEqualTo(nearby.notes(lookup, List.of()).getFirst())
                .startsWith("in \"530 4.7.0\" the classes disagree");
    }

    /**
     * Every class rule, for every class it does not allow: refused with the RFC's words when the registry does not
     * list the class either, explained with a note quoting them when it does.
     */
    @ParameterizedTest
    @MethodSource("languages")
    void everyClassRuleIsWordedForEveryClassItRulesOut(String language) {
        Catalogue catalogue = Catalogue.load(language);
        NearbyCodes nearby = new NearbyCodes(catalogue);
        int notes = 0;
        for (String key : catalogue.enhancedKeys()) {
            ClassRule rule = catalogue.facts(key).orElseThrow().classRule();
            if (rule == null) {
                continue;
            }
            for (int digit : List.of(2, 4, 5)) {
                if (rule.allows(digit)) {
                    continue;
                }
                String code = digit + key.substring(1);
                String note = catalogue.find(code).map(nearby::outsideClassRule).orElseGet(() -> nearby.hint(code));
                assertThat(note).as("%s in %s", code, language).contains(code).contains(rule.says())
                        .contains(rule.source()).doesNotContain("{");
                notes++;
            }
        }
        assertThat(notes).isGreaterThan(40);
    }
}
