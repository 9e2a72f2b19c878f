package dev.posthorn.codes;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** "Key differences" and "When to use which" follow from the data, for any pair. */
class ComparisonTest {

    private final Catalogue en = Catalogue.load("en");

    private Comparison compare(String a, String b) {
        return Comparison.of(en, en.find(a).orElseThrow(), en.find(b).orElseThrow());
    }

    @Test
    void positiveAgainstPermanentNamesBothClassesPhasesActorsAndRetries() {
        List<String> differences = compare("220", "530").differences();
        assertThat(differences).containsExactly(
                "220 is a 2xx Positive Completion reply: the request succeeded. 530 is a 5xx Permanent Negative"
                        + " reply: the request failed, and sending it again unchanged will fail again.",
                "220 comes at the greeting when the connection opens or in reply to STARTTLS, while 530 comes"
                        + " in reply to MAIL FROM.",
                "After 220, nobody needs to do anything. After 530, the sender has to act: correct the address,"
                        + " the password or the mail program's settings.",
                "With 220, there is nothing to retry; with 530, retrying helps only after someone has fixed the"
                        + " cause.");
    }

    @Test
    void sameClassAndSamePhaseAreSaidOnceForBoth() {
        List<String> differences = compare("550", "553").differences();
        assertThat(differences.get(0)).startsWith("Both are 5xx Permanent Negative replies");
        assertThat(differences).anyMatch(s -> s.startsWith("After either code, the sender has to act"));
    }

    @Test
    void transientAgainstPermanentTellsServersWhenToChooseEach() {
        assertThat(compare("450", "550").whenToUse())
                .anyMatch(s -> s.startsWith("Choose 450 when the condition will clear by itself"));
    }

    @Test
    void basicAgainstEnhancedExplainsTheTwoKindsOfCode() {
        Comparison c = compare("535", "5.7.8");
        assertThat(c.differences().get(0)).startsWith("535 is a basic reply code")
                .contains("5.7.8 is an enhanced status code (RFC 3463)");
        assertThat(c.whenToUse()).anyMatch(s -> s.contains("one reply carries both, as in \"535 5.7.8 ...\""));
    }

    @Test
    void enhancedCodeUsuallyPairedElsewhereIsCalledUnusual() {
        assertThat(compare("530", "5.7.8").whenToUse())
                .anyMatch(s -> s.contains("5.7.8 normally comes with 535"));
    }

    @Test
    void basicAndEnhancedOfDifferentClassesCannotShareAReply() {
        assertThat(compare("550", "4.2.2").whenToUse())
                .anyMatch(s -> s.contains("550 goes with 5.2.2, never with 4.2.2"));
    }

    @Test
    void enhancedClassDecidesRetryAndActor() {
        CodeEntry transientFull = en.find("4.2.2").orElseThrow();
        CodeEntry permanentFull = en.find("5.2.2").orElseThrow();
        assertThat(transientFull.retry()).isEqualTo(Retry.LATER);
        assertThat(permanentFull.retry()).isEqualTo(Retry.AFTER_FIX);
        assertThat(en.find("2.7.0").orElseThrow().actor()).isEqualTo(Actor.NOBODY);
        assertThat(en.find("5.7.0").orElseThrow().actor()).isEqualTo(Actor.USER);
    }

    @Test
    void posthornsOwnRepliesAreQuotedFromReplies() {
        assertThat(compare("220", "530").whenToUse())
                .contains("Posthorn itself sends 530 as \"530 5.7.0 Must issue a STARTTLS command first\""
                        + " or \"530 5.7.0 Authentication required\".");
    }

    @Test
    void intermediateAndCompletionAreNotCalledTheSameClass() {
        assertThat(compare("334", "235").whenToUse())
                .anyMatch(s -> s.startsWith("334 asks the client for the next part of an exchange"))
                .noneMatch(s -> s.startsWith("Both are"));
    }

    /** Every pair of basic codes, and each with every enhanced code, in every language: sentences that hold. */
    @Test
    void everyPairGetsSentencesThatNameBothCodesAndStateTheClassOnlyWhenShared() {
        for (String language : Catalogue.languages()) {
            Catalogue catalogue = Catalogue.load(language);
            List<CodeEntry> entries = new java.util.ArrayList<>();
            catalogue.basicCodes().forEach(c -> entries.add(catalogue.find(c).orElseThrow()));
            catalogue.enhancedKeys().forEach(k -> entries.add(
                    catalogue.find(catalogue.facts(k).orElseThrow().classes().getLast() + k.substring(1)).orElseThrow()));
            String sameClass = catalogue.language().phrase("same.class").substring(0, 8);
            for (CodeEntry a : entries) {
                for (CodeEntry b : entries) {
                    if (a.isEnhanced() && b.isEnhanced() && a.subject() != b.subject()) {
                        continue; // enhanced pairs across subjects add nothing new and square the run time
                    }
                    Comparison c = Comparison.of(catalogue, a, b);
                    String classSentence = c.differences().get(a.isEnhanced() != b.isEnhanced() ? 1 : 0);
                    assertThat(classSentence.startsWith(sameClass))
                            .as("%s vs %s in %s: %s", a.code(), b.code(), language, classSentence)
                            .isEqualTo(a.replyClass() == b.replyClass());
                    assertThat(String.join(" ", c.whenToUse())).contains(a.code(), b.code());
                }
            }
        }
    }

    @Test
    void turkishSentencesComeFromTheTurkishTemplates() {
        Catalogue tr = Catalogue.load("tr");
        Comparison c = Comparison.of(tr, tr.find("421").orElseThrow(), tr.find("550").orElseThrow());
        assertThat(c.title()).isEqualTo("SMTP 421 Hizmet kullanılamıyor, bağlantı kapatılıyor ile"
                + " 550 İstenen işlem yapılmadı: posta kutusu kullanılamıyor karşılaştırması");
        assertThat(c.differences().get(0)).isEqualTo("421 kodu 4xx Geçici Olumsuz sınıfındadır: istek şimdilik"
                + " başarısız oldu, ama aynı istek daha sonra başarılı olabilir. 550 kodu ise 5xx Kalıcı Olumsuz"
                + " sınıfındadır: istek başarısız oldu ve hiçbir şey değiştirilmeden yeniden gönderilirse yine"
                + " başarısız olur.");
    }
}
