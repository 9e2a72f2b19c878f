package dev.posthorn.codes.providers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.codes.Catalogue;
import java.net.URI;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The provider files are data that must stay true: every entry is recognised from its own samples and from
 * no other entry's, and says where it comes from, when it was read, and what to do in every language.
 */
class ProviderCatalogueGoldenTest {

    private static final ProviderCatalogue CATALOGUE = ProviderCatalogue.bundled();

    private static Stream<ProviderMatch> allEntries() {
        return CATALOGUE.providers().stream().flatMap(p -> p.entries().stream().map(e -> new ProviderMatch(p, e)));
    }

    @Test
    void theFourBigProvidersAreThereWithDozensOfEntries() {
        assertThat(CATALOGUE.providers()).extracting(Provider::id)
                .contains("gmail", "microsoft", "yahoo", "icloud");
        assertThat(allEntries().count()).isGreaterThanOrEqualTo(40);
    }

    @TestFactory
    Stream<DynamicTest> everySampleIsRecognisedAsItsEntryAndNoOther() {
        return allEntries().flatMap(m -> {
            assertThat(m.entry().samples()).as(m.entry().id() + " has samples").isNotEmpty();
            return m.entry().samples().stream().map(sample -> DynamicTest.dynamicTest(m.entry().id(), () ->
                    assertThat(CATALOGUE.recognise(sample)).extracting(found -> found.entry().id())
                            .as("entries recognised in: " + sample)
                            .containsExactly(m.entry().id())));
        });
    }

    @TestFactory
    Stream<DynamicTest> noNegativeSampleIsRecognisedAsAnyProvidersBounce() {
        // Another server's reply with the same code and the same common words ("SPF", "over quota") must not
        // be shown a provider's advice: each entry lists such replies, and none may be recognised at all.
        return allEntries().flatMap(m -> {
            assertThat(m.entry().negativeSamples()).as(m.entry().id() + " has negative samples").isNotEmpty();
            return m.entry().negativeSamples().stream().map(negative -> DynamicTest.dynamicTest(m.entry().id(), () ->
                    assertThat(CATALOGUE.recognise(negative)).extracting(found -> found.entry().id())
                            .as("entries recognised in the negative sample: " + negative).isEmpty()));
        });
    }

    @TestFactory
    Stream<DynamicTest> everySampleCarriesCodesOfItsEntrysClass() {
        // RFC 3463 §2: an enhanced code's class repeats the reply's first digit. A sample whose reply lines
        // or enhanced codes are of another class than its entry's reply documents another bounce.
        Pattern replyLine = Pattern.compile("^\\s*([2-5])\\d\\d(?=[ -]|$)", Pattern.MULTILINE);
        return allEntries().map(m -> DynamicTest.dynamicTest(m.entry().id(), () -> {
            ReplySpec reply = m.entry().replySpec();
            int replyClass = reply.basic() / 100;
            if (reply.hasEnhanced()) {
                assertThat(reply.enhancedClass()).as("enhanced class of " + reply).isEqualTo(replyClass);
            }
            for (String sample : m.entry().samples()) {
                Matcher line = replyLine.matcher(sample);
                while (line.find()) {
                    assertThat(Integer.parseInt(line.group(1))).as("reply class in: " + sample).isEqualTo(replyClass);
                }
                assertThat(BounceText.enhancedCodes(sample)).as("enhanced codes in: " + sample)
                        .allSatisfy(code -> assertThat(code.charAt(0) - '0').isEqualTo(replyClass));
                if (reply.hasEnhanced()) {
                    assertThat(BounceText.enhancedCodes(sample)).as("the entry's own code in: " + sample)
                            .anyMatch(reply::covers);
                }
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> everyEntrySaysWhereItComesFromAndWhatToDoInEveryLanguage() {
        List<String> languages = Catalogue.languages();
        return allEntries().map(m -> DynamicTest.dynamicTest(m.entry().id(), () -> {
            ProviderEntry e = m.entry();
            assertThat(e.id()).startsWith(m.provider().id() + "-");
            assertThat(URI.create(e.source()).getScheme()).isEqualTo("https");
            assertThat(LocalDate.parse(e.retrieved())).isBeforeOrEqualTo(LocalDate.of(2026, 12, 1));
            assertThat(e.links()).as("links").isNotEmpty()
                    .allSatisfy(l -> assertThat(l.url()).startsWith("https://"));
            assertThat(e.wording()).isNotBlank();
            assertThat(e.actor()).isNotNull();
            if (e.since() != null) {
                assertThat(e.since()).matches("\\d{4}-\\d{2}");
            }
            for (Map<String, String> texts : List.of(e.title(), e.trigger(), e.advice())) {
                assertThat(texts.keySet()).containsExactlyInAnyOrderElementsOf(languages);
                assertThat(texts.values()).allSatisfy(t -> assertThat(t).isNotBlank());
            }
            ReplySpec reply = e.replySpec();
            for (String sample : e.samples()) {
                assertThat(sample).as("sample carries the reply code").contains(String.valueOf(reply.basic()));
            }
            for (Link link : e.links()) {
                for (String language : languages) {
                    assertThat(Catalogue.load(language).language().phrase("provider.link." + link.kind())).isNotBlank();
                }
            }
        }));
    }

    @Test
    void theSameWordsWithAnotherEnhancedCodeAreNotTheSameBounce() {
        // Gmail's SPF refusal is 5.7.27; the same words with 4.7.27 are the deferral that precedes it.
        String refusal = "550-5.7.27 Your email has been blocked because SPF authentication didn't pass - gsmtp";
        assertThat(CATALOGUE.recognise(refusal)).extracting(m -> m.entry().id()).containsExactly("gmail-5.7.27-spf-blocked");
        assertThat(CATALOGUE.recognise(refusal.replace("550-5.7.27", "421-4.7.27")))
                .extracting(m -> m.entry().id()).containsExactly("gmail-4.7.27-spf-rate-limited");
        assertThat(CATALOGUE.recognise(refusal.replace("550-5.7.27", "550-5.7.1"))).isEmpty();
    }

    @Test
    void aWholeBounceWrappedByAnMtaIsRecognised() {
        String bounce = """
                This is the mail system at host mx.example.org.

                I'm sorry to have to inform you that your message could not
                be delivered to one or more recipients.

                <alice@gmail.com>: host gmail-smtp-in.l.google.com[142.250.27.26] said:
                    550-5.7.26 This mail has been blocked because the sender is
                    550-5.7.26 unauthenticated. Gmail requires all senders to authenticate with
                    550-5.7.26 either SPF or DKIM. (in reply to end of DATA command)
                """;
        assertThat(CATALOGUE.recognise(bounce)).extracting(m -> m.entry().id())
                .containsExactly("gmail-5.7.26-unauthenticated");
    }

    @Test
    void ordinaryRepliesAreNoProvidersBounce() {
        assertThat(CATALOGUE.recognise("550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown")).isEmpty();
        assertThat(CATALOGUE.recognise("530 5.7.0 Authentication required")).isEmpty();
        assertThat(CATALOGUE.recognise("")).isEmpty();
    }
}
