package dev.posthorn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExplainCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void jsonHasExactlyTheDocumentedFields() throws Exception {
        CliRun run = CliRun.of("explain", "530", "--format", "json");
        JsonNode node = JSON.readTree(run.out());
        List<String> fields = new ArrayList<>();
        node.fieldNames().forEachRemaining(fields::add);
        assertThat(fields).containsExactly("code", "class", "title", "meaning", "when", "fix", "rfc", "related");
        assertThat(node.get("code").asText()).isEqualTo("530");
        assertThat(node.get("class").asText()).isEqualTo("5xx Permanent Negative");
        assertThat(node.get("fix").has("user")).isTrue();
        assertThat(node.get("related")).extracting(JsonNode::asText).contains("5.7.0", "535");
    }

    @Test
    void pastedReplyLineExplainsBothParts() {
        CliRun run = CliRun.of("explain", "530 5.7.0 Authentication required");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).startsWith("SMTP 530 5.7.0 Authentication Required / Other or Undefined Security Status")
                .contains("530 Authentication Required: 5xx Permanent Negative.",
                        "5.7.0 Other or Undefined Security Status: 5.x.x Permanent Failure.");
    }

    @Test
    void unquotedReplyLineFromALogIsOneLine() throws Exception {
        CliRun run = CliRun.of("explain", "550-5.1.1", "<bob@example.com>:", "User", "unknown", "--format", "json");
        JsonNode node = JSON.readTree(run.out());
        assertThat(node.isArray()).isTrue();
        assertThat(node).extracting(n -> n.get("code").asText()).containsExactly("550", "5.1.1");
    }

    @Test
    void unknownEnhancedCodeNamesTheKnownOnesOfItsSubjectAndExits2() {
        CliRun run = CliRun.of("explain", "5.7.99");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).contains("5.7.99 is not in the IANA registry")
                .contains("Known 5.7.x codes: 5.7.0, 5.7.1,").contains("5.7.30.");
    }

    @Test
    void anEnhancedCodeWithALeadingZeroIsNamedInItsRfcFormNotAStackTrace() {
        for (String input : List.of("5.7.01", "550 5.07.1 Relaying denied")) {
            CliRun run = CliRun.of("explain", input);
            assertThat(run.err()).as(input).doesNotContain("Exception").doesNotContain("\tat ");
            assertThat(run.err()).as(input).contains("no number in an enhanced status code has a leading zero. Did you mean 5.7.1?");
        }
        assertThat(CliRun.of("explain", "5.7.01").exitCode()).isEqualTo(2);
        assertThat(CliRun.of("explain", "550 5.07.1 Relaying denied").exitCode()).as("550 is still explained").isZero();
    }

    @Test
    void unknownBasicCodeNamesTheCodesOfItsClass() {
        CliRun run = CliRun.of("explain", "599");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("Known 5xx codes: 500, 501, 502, 503, 504, 521,").contains("556.");
    }

    @Test
    void enhancedCodeWithTheWrongClassSaysWhichClassesItHas() {
        CliRun run = CliRun.of("explain", "2.7.8");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("X.7.8 (Authentication Credentials Invalid) is not used with class 2;"
                + " it is used as 5.7.8.");
    }

    @Test
    void hintIsInTheRequestedLanguage() {
        CliRun run = CliRun.of("explain", "599", "--lang", "tr");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("599, SMTP standartlarında tanımlı bir yanıt kodu değildir.");
    }

    @Test
    void inputWithoutACodeExits2() {
        CliRun run = CliRun.of("explain", "hello");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("no reply code in 'hello'");
    }

    /** A vendor code such as Microsoft's 5.7.606 still gets its basic code explained; the rest is a note. */
    @Test
    void lineWithAnUnregisteredEnhancedCodeExplainsTheBasicCode() {
        CliRun run = CliRun.of("explain", "550 5.7.606 Access denied, banned sending IP");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).startsWith("SMTP 550 Requested Action Not Taken");
        assertThat(run.err()).contains("5.7.606 is not in the IANA registry");
    }

    @Test
    void lineWhoseClassesDisagreeIsExplainedWithAWarning() {
        CliRun run = CliRun.of("explain", "530 4.7.0 Try later");
        assertThat(run.exitCode()).isZero();
        assertThat(run.err()).contains("in \"530 4.7.0\" the classes disagree");
    }

    @Test
    void unknownLanguageOrFormatExits2() {
        CliRun language = CliRun.of("explain", "530", "--lang", "de");
        assertThat(language.exitCode()).isEqualTo(2);
        assertThat(language.err()).contains("no texts for language 'de'; available: en, tr");
        CliRun format = CliRun.of("explain", "530", "--format", "pdf");
        assertThat(format.exitCode()).isEqualTo(2);
        assertThat(format.err()).contains("unknown format 'pdf', expected one of text, markdown, json, html");
    }
}
