package dev.posthorn.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import org.junit.jupiter.api.Test;

class CatalogueExplainerTest {

    private final CatalogueExplainer explainer = new CatalogueExplainer();

    @Test
    void theEnhancedCodeExplainsTheReplyWithAdviceForTheSender() {
        assertThat(explainer.explain(550, "5.1.1", Locale.ENGLISH))
                .startsWith("5.1.1 Bad Destination Mailbox Address: The recipient's mailbox does not exist")
                .contains("What to do: Check the spelling");
    }

    @Test
    void withoutAnEnhancedCodeTheBasicCodeExplains() {
        assertThat(explainer.explain(554, null, Locale.ENGLISH)).startsWith("554 ");
    }

    @Test
    void turkishReadersGetTurkish() {
        assertThat(explainer.explain(550, "5.1.1", Locale.forLanguageTag("tr")))
                .isNotEqualTo(explainer.explain(550, "5.1.1", Locale.ENGLISH)).startsWith("5.1.1 ");
    }

    @Test
    void anUnknownLanguageFallsBackToEnglishAndAnUnknownCodeToItsClass() {
        assertThat(explainer.explain(550, "5.1.1", Locale.JAPANESE)).isEqualTo(explainer.explain(550, "5.1.1", Locale.ENGLISH));
        assertThat(explainer.explain(599, "5.99.99", Locale.ENGLISH)).startsWith("A permanent failure");
    }
}
