package dev.posthorn.codes;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The facts agree with themselves: classes, retry advice, related codes and references. */
class CatalogueConsistencyTest {

    private final Catalogue catalogue = Catalogue.load("en");

    @Test
    void everyBasicCodeResolvesToItsOwnClassDigit() {
        for (String code : catalogue.basicCodes()) {
            CodeEntry entry = catalogue.find(code).orElseThrow();
            assertThat(entry.replyClass().digit()).as(code).isEqualTo(code.charAt(0) - '0');
        }
    }

    /** 2xx has nothing to retry, 3xx continues, 4xx never calls for a change the way a 5xx fix does alone. */
    @Test
    void retryAdviceFitsTheClassOfEveryBasicCode() {
        for (String code : catalogue.basicCodes()) {
            Retry retry = catalogue.facts(code).orElseThrow().retry();
            Set<Retry> allowed = switch (code.charAt(0)) {
                case '2' -> Set.of(Retry.NONE);
                case '3' -> Set.of(Retry.CONTINUE);
                case '4' -> Set.of(Retry.LATER, Retry.CHANGED, Retry.AFTER_FIX);
                default -> Set.of(Retry.CHANGED, Retry.AFTER_FIX);
            };
            assertThat(allowed).as("retry of %s", code).contains(retry);
        }
    }

    @Test
    void successCodesNeedNobodyToAct() {
        for (String code : catalogue.basicCodes()) {
            if (code.charAt(0) <= '3') {
                assertThat(catalogue.facts(code).orElseThrow().actor()).as(code).isEqualTo(Actor.NOBODY);
            }
        }
    }

    @Test
    void enhancedCodesUseOnlyTheClassesTwoFourAndFive() {
        for (String key : catalogue.enhancedKeys()) {
            List<Integer> classes = catalogue.facts(key).orElseThrow().classes();
            assertThat(classes).as(key).isNotEmpty().isSubsetOf(2, 4, 5).doesNotHaveDuplicates();
            for (int digit : classes) {
                CodeEntry entry = catalogue.find(digit + key.substring(1)).orElseThrow();
                assertThat(entry.replyClass().digit()).isEqualTo(digit);
            }
        }
    }

    @Test
    void enhancedCodeWithAClassItIsNotUsedWithIsNotFound() {
        assertThat(catalogue.find("2.7.8")).isEmpty();
        assertThat(catalogue.find("5.7.8")).isPresent();
        assertThat(catalogue.find("4.7.12")).isPresent();
        assertThat(catalogue.find("5.7.12")).isEmpty();
        // RFC 3463 §3.2: X.1.2 "is only useful for permanent failures"; §3.5: X.4.6 "useful only as a
        // persistent transient error". §3.7 sets no limit on X.6.2, so 4.6.2 is a code.
        assertThat(catalogue.find("4.1.2")).isEmpty();
        assertThat(catalogue.find("5.4.6")).isEmpty();
        assertThat(catalogue.find("4.6.2")).isPresent();
    }

    /** Each class rule in the data is the RFC's own statement, word for word, as kept in rfc-class-statements.tsv. */
    @Test
    void everyClassRuleIsTheDefiningRfcsStatement() throws IOException {
        List<String> wrong = new ArrayList<>();
        for (ClassStatement rfc : ClassStatement.read()) {
            ClassRule rule = catalogue.facts(rfc.code()).orElseThrow().classRule();
            if (rfc.classes() == null) {
                if (rule != null) {
                    wrong.add(rfc.code() + ": " + rfc.source() + " sets no limit, but the data has " + rule);
                }
            } else if (rule == null || !Set.copyOf(rule.classes()).equals(rfc.classes())
                    || !rule.source().equals(rfc.source()) || !rule.says().equals(rfc.says())) {
                wrong.add(rfc.code() + ": " + rfc.source() + " allows " + rfc.classes() + " (\"" + rfc.says()
                        + "\"), the data has " + rule);
            }
        }
        assertThat(wrong).isEmpty();
    }

    /** Every enhanced code's class was checked against its RFC: the table has a row for each. */
    @Test
    void everyEnhancedCodeHasARowInTheClassTable() throws IOException {
        Set<String> rows = new TreeSet<>();
        ClassStatement.read().forEach(s -> rows.add(s.code()));
        assertThat(rows).containsExactlyInAnyOrderElementsOf(catalogue.enhancedKeys());
    }

    /** No rule is invented for a code the table does not cover. */
    @Test
    void classRulesExistOnlyWhereTheRfcStatesOne() throws IOException {
        Set<String> stated = new HashSet<>();
        ClassStatement.read().stream().filter(s -> s.classes() != null).forEach(s -> stated.add(s.code()));
        for (String key : catalogue.enhancedKeys()) {
            if (catalogue.facts(key).orElseThrow().classRule() != null) {
                assertThat(stated).as("class rule of %s", key).contains(key);
            }
        }
    }

    /**
     * The classes the tools accept are those the RFC allows, widened by the classes of the registry's associated
     * basic codes; a code whose RFC sets no limit is refused with neither failure class.
     */
    @Test
    void acceptedClassesAreTheRfcsWidenedByTheRegistry() throws IOException {
        for (ClassStatement rfc : ClassStatement.read()) {
            Set<Integer> accepted = Set.copyOf(catalogue.facts(rfc.code()).orElseThrow().classes());
            assertThat(accepted).as("classes of %s cover the registry's %s", rfc.code(), rfc.registry())
                    .containsAll(rfc.registryClasses());
            if (rfc.classes() == null) {
                assertThat(accepted).as("classes of %s, which %s leaves open", rfc.code(), rfc.source())
                        .contains(4, 5);
            } else {
                Set<Integer> expected = new TreeSet<>(rfc.classes());
                expected.addAll(rfc.registryClasses());
                assertThat(new TreeSet<>(accepted)).as("classes of %s", rfc.code()).isEqualTo(expected);
            }
        }
    }

    /** A code the rule's "instead" names exists with that class, so the hint can be followed. */
    @Test
    void everyInsteadCodeExistsWithItsClass() {
        for (String key : catalogue.enhancedKeys()) {
            ClassRule rule = catalogue.facts(key).orElseThrow().classRule();
            if (rule != null) {
                rule.instead().forEach((digit, other) -> {
                    assertThat(rule.allows(digit)).as("%s: instead given for an allowed class", key).isFalse();
                    assertThat(catalogue.find(digit + other.substring(1))).as("%s -> %s", key, other).isPresent();
                });
            }
        }
    }

    /** Class rules cite a section that the Learn more list of the code also names. */
    @Test
    void classRuleSourceIsAmongTheCodesReferences() {
        for (String key : catalogue.enhancedKeys()) {
            CodeFacts facts = catalogue.facts(key).orElseThrow();
            if (facts.classRule() != null) {
                String rfc = facts.classRule().source().split(" §")[0];
                assertThat(facts.rfc()).as("references of %s", key).anyMatch(r -> r.startsWith(rfc));
            }
        }
    }

    @Test
    void everyRelatedCodeExistsAndIsNotTheCodeItself() {
        List<String> broken = new ArrayList<>();
        for (String key : allKeys()) {
            for (String related : catalogue.facts(key).orElseThrow().related()) {
                if (related.equals(key) || catalogue.facts(related).isEmpty()) {
                    broken.add(key + " -> " + related);
                }
            }
        }
        assertThat(broken).isEmpty();
    }

    @Test
    void everyCodeHasAPhaseAndAResolvableReference() {
        for (String key : allKeys()) {
            CodeFacts facts = catalogue.facts(key).orElseThrow();
            assertThat(facts.phases()).as("phases of %s", key).isNotEmpty();
            assertThat(facts.rfc()).as("references of %s", key).isNotEmpty()
                    .allMatch(r -> new Reference(r).isResolvable());
        }
    }

    @Test
    void referencesPointAtTheRfcEditorSection() {
        assertThat(new Reference("RFC 4954 §6").url()).isEqualTo("https://www.rfc-editor.org/rfc/rfc4954#section-6");
        assertThat(new Reference("RFC 5321 §4.5.3.1.10").url())
                .isEqualTo("https://www.rfc-editor.org/rfc/rfc5321#section-4.5.3.1.10");
        assertThat(new Reference("RFC 7505").url()).isEqualTo("https://www.rfc-editor.org/rfc/rfc7505");
    }

    @Test
    void relatedEnhancedCodesTakeTheClassOfTheCodeExplained() {
        CodeEntry basic530 = catalogue.find("530").orElseThrow();
        assertThat(catalogue.resolveRelated("X.7.0", basic530)).isEqualTo("5.7.0");
        CodeEntry transient421 = catalogue.find("421").orElseThrow();
        assertThat(catalogue.resolveRelated("X.4.2", transient421)).isEqualTo("4.4.2");
        // X.7.12 only exists as 4.7.12, so it keeps that class even next to a 5xx code.
        CodeEntry permanent535 = catalogue.find("535").orElseThrow();
        assertThat(catalogue.resolveRelated("X.7.12", permanent535)).isEqualTo("4.7.12");
    }

    /** A language that copies English titles has not been written; each title must be in its own words. */
    @Test
    void turkishTitlesAreWrittenInTurkish() {
        LanguagePack en = Catalogue.load("en").language();
        LanguagePack tr = Catalogue.load("tr").language();
        en.basic().forEach((code, text) -> assertThat(tr.basic().get(code).title()).as(code).isNotEqualTo(text.title()));
        en.enhanced().forEach((key, text) ->
                assertThat(tr.enhanced().get(key).title()).as(key).isNotEqualTo(text.title()));
        assertThat(tr.basic().get("530").title()).isEqualTo("Kimlik doğrulama gerekli");
        assertThat(tr.phrase("section.use")).isEqualTo("Hangisini Ne Zaman Kullanmalı");
    }

    /** Wording the review of issue 18 corrected: Turkish grammar, and what the registry does and does not list. */
    @Test
    void reviewedWordingStaysCorrected() {
        LanguagePack en = Catalogue.load("en").language();
        LanguagePack tr = Catalogue.load("tr").language();
        // X.7.3 is about secure message formats, not a "security conversion".
        assertThat(tr.enhanced().get("X.7.3").use()).doesNotContain("güvenlik dönüştürmesi");
        // "geçici bir sorun isteği" read as "a problem request"; the comma puts the subject right.
        assertThat(tr.basic().get("451").use()).startsWith("Sunucunuzdaki geçici bir sorun, isteği işlemenizi");
        // The registry lists 451 and 454 with X.7.1, not 450: it covers the class, not greylisting's 450.
        assertThat(en.enhanced().get("X.7.1").when()).contains("450 is not among").doesNotContain("which covers");
        assertThat(tr.enhanced().get("X.7.1").when()).contains("kayıt 450'yi saymaz").doesNotContain("karşılar");
    }

    private List<String> allKeys() {
        List<String> keys = new ArrayList<>(catalogue.basicCodes());
        keys.addAll(catalogue.enhancedKeys());
        return keys;
    }
}
