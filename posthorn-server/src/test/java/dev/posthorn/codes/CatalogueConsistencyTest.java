package dev.posthorn.codes;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
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

    private List<String> allKeys() {
        List<String> keys = new ArrayList<>(catalogue.basicCodes());
        keys.addAll(catalogue.enhancedKeys());
        return keys;
    }
}
