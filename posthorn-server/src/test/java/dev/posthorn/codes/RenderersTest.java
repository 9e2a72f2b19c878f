package dev.posthorn.codes;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** What each format must get right beyond the goldens: escaping, completeness, line width. */
class RenderersTest {

    private final Catalogue en = Catalogue.load("en");
    private final List<CodeEntry> dataStart = List.of(en.find("354").orElseThrow());

    @Test
    void htmlEscapesCatalogueTextAndIsACompletePage() {
        String html = Format.HTML.explain(en, dataStart);
        // 354's advice mentions <CRLF>.<CRLF>; raw it would be read as a tag and vanish.
        assertThat(html).contains("&lt;CRLF&gt;.&lt;CRLF&gt;").doesNotContain("<CRLF>");
        assertThat(html).startsWith("<!DOCTYPE html>\n<html lang=\"en\">").endsWith("</html>\n")
                .contains("<meta charset=\"utf-8\">", "<title>SMTP 354 Start Mail Input</title>")
                .doesNotContain("<script", "http-equiv", "<link");
    }

    @Test
    void htmlDeclaresTheLanguageOfThePage() {
        Catalogue tr = Catalogue.load("tr");
        assertThat(Format.HTML.explain(tr, List.of(tr.find("530").orElseThrow())))
                .contains("<html lang=\"tr\">", "<h2>Nasıl Düzeltilir</h2>");
    }

    @Test
    void markdownEscapesAngleBracketsSoTheyStayVisible() {
        String markdown = Format.MARKDOWN.explain(en, dataStart);
        assertThat(markdown).contains("\\<CRLF\\>.\\<CRLF\\>").startsWith("# SMTP 354 Start Mail Input\n");
    }

    @Test
    void textLinesFitTheTerminalExceptUnbreakableAddresses() {
        for (String code : en.basicCodes()) {
            String text = Format.TEXT.explain(en, List.of(en.find(code).orElseThrow()));
            assertThat(text.lines()).as(code)
                    .allMatch(l -> l.codePointCount(0, l.length()) <= TextRenderer.WIDTH || l.contains("https://"));
        }
    }

    /** "RFC" at the end of one line and "2034 §4" at the start of the next reads badly: a reference stays whole. */
    @Test
    void textWrapKeepsAnRfcReferenceOnOneLine() {
        StringBuilder out = new StringBuilder();
        String text = "x".repeat(70) + " RFC 2034 §4 says so, and (RFC 5321 §4.2.1) too.";
        TextRenderer.wrap(out, text, "", "");
        assertThat(out.toString()).isEqualTo("x".repeat(70) + "\nRFC 2034 §4 says so, and (RFC 5321 §4.2.1) too.\n");
        for (String language : Catalogue.languages()) {
            Catalogue catalogue = Catalogue.load(language);
            for (String code : catalogue.basicCodes()) {
                String page = Format.TEXT.explain(catalogue, List.of(catalogue.find(code).orElseThrow()));
                assertThat(page.lines()).as("%s %s", language, code)
                        .noneMatch(l -> l.endsWith(" RFC") || l.stripLeading().startsWith("§"));
            }
        }
    }

    @Test
    void everyCodeRendersInEveryFormatAndLanguage() {
        for (String language : Catalogue.languages()) {
            Catalogue catalogue = Catalogue.load(language);
            List<String> codes = new java.util.ArrayList<>(catalogue.basicCodes());
            catalogue.enhancedKeys().forEach(k -> catalogue.facts(k).orElseThrow().classes()
                    .forEach(c -> codes.add(c + k.substring(1))));
            for (String code : codes) {
                List<CodeEntry> entry = List.of(catalogue.find(code).orElseThrow());
                for (Format format : Format.values()) {
                    assertThat(format.explain(catalogue, entry)).as("%s %s %s", language, code, format)
                            .contains(code);
                }
            }
        }
    }
}
