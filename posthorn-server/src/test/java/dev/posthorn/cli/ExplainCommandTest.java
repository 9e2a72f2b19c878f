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
        CliRun run = CliRun.of("explain", "2.7.10");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("X.7.10 (Encryption Needed) is not used with class 2;"
                + " it is used as 4.7.10 or 5.7.10.");
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

    /** RFC 3463 §3.2: X.1.2 "is only useful for permanent failures"; a temporary DNS failure is X.4.3. */
    @Test
    void classTheRfcRulesOutIsRefusedWithTheRuleAndTheCodeToUseInstead() {
        CliRun run = CliRun.of("explain", "4.1.2");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).contains("4.1.2 is outside the RFC. RFC 3463 §3.2 on X.1.2 (Bad Destination System"
                + " Address): \"This code is only useful for permanent failures.\" It is used as 5.1.2.")
                .contains("For a class-4 reply, use 4.4.3 (Directory Server Failure) instead.");
    }

    /** RFC 3463 §3.5: X.4.6 is "useful only as a persistent transient error"; the 554 is still explained. */
    @Test
    void permanentRoutingLoopCodeIsReportedAsTransientOnly() {
        CliRun run = CliRun.of("explain", "554 5.4.6 Too many hops");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).startsWith("SMTP 554 Transaction Failed");
        assertThat(run.err()).contains("5.4.6 is outside the RFC. RFC 3463 §3.5 on X.4.6 (Routing Loop Detected):"
                + " \"This is useful only as a persistent transient error.\" It is used as 4.4.6.")
                .contains("use 5.4.0");
    }

    /** RFC 3463 §3.7 sets no class limit on X.6.2, so its transient form is a code like any other. */
    @Test
    void classTheRfcLeavesOpenIsExplained() {
        CliRun run = CliRun.of("explain", "4.6.2");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).startsWith("SMTP 4.6.2 Conversion Required and Prohibited");
        assertThat(run.err()).isEmpty();
    }

    /**
     * RFC 5248 sets no class for X.7.10, so Posthorn's own "451 4.7.10" (TLS required but not offered) is a code;
     * RFC 4954 §6 writes X.7.8 as "535 5.7.8", so 4.7.8 is outside it.
     */
    @Test
    void classesFollowWhatTheCodesOwnRfcSays() {
        CliRun own = CliRun.of("explain", "451 4.7.10 TLS is required for this destination");
        assertThat(own.exitCode()).isZero();
        assertThat(own.out()).startsWith("SMTP 451 4.7.10 ");
        assertThat(own.err()).isEmpty();
        CliRun auth = CliRun.of("explain", "4.7.8");
        assertThat(auth.exitCode()).isEqualTo(2);
        assertThat(auth.err()).contains("4.7.8 is outside the RFC. RFC 4954 §6 on X.7.8 (Authentication Credentials"
                + " Invalid): \"535 5.7.8 Authentication credentials invalid\" It is used as 5.7.8.");
    }

    /** The registry lists 451 with X.1.1 although RFC 3463 §3.2 says permanent only: explained, with a note. */
    @Test
    void classOnlyTheRegistryAllowsIsExplainedWithANote() {
        CliRun run = CliRun.of("explain", "451 4.1.1 <bob@example.com>: Recipient address rejected: try later");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).startsWith("SMTP 451 4.1.1 ");
        assertThat(run.err()).contains("4.1.1 is outside the RFC's description but in the IANA registry."
                + " RFC 3463 §3.2 on X.1.1 (Bad Destination Mailbox Address): \"This code is only useful for permanent"
                + " failures.\" The registry also lists it with 4xx replies");
    }

    /** RFC 3463 §3.3 only advises: X.2.3 "should be used as a permanent failure"; 4.2.3 goes against that advice. */
    @Test
    void classTheRfcAdvisesAgainstIsReportedAsAdviceInItsWords() {
        CliRun run = CliRun.of("explain", "4.2.3");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("4.2.3 goes against the RFC's advice. RFC 3463 §3.3 on X.2.3 (Message Length"
                + " Exceeds Administrative Limit): \"This code should be used as a permanent failure.\" It is used"
                + " as 5.2.3.").doesNotContain("outside the RFC");
        CliRun full = CliRun.of("explain", "552 5.2.2 Mailbox full");
        assertThat(full.exitCode()).isZero();
        assertThat(full.err()).contains("5.2.2 goes against the RFC's advice but is in the IANA registry. RFC 3463 §3.3"
                + " on X.2.2 (Mailbox Full): \"This code should be used as a persistent transient failure.\"");
    }

    @Test
    void pastedMultilineReplyIsExplainedOnce() throws Exception {
        CliRun run = CliRun.of("explain", "550-5.1.1 The email account that you tried to reach does not exist.\n"
                + "550-5.1.1 Please check the address.\n550 5.1.1 https://support.example.com", "--format", "json");
        assertThat(run.exitCode()).isZero();
        assertThat(run.err()).isEmpty();
        assertThat(JSON.readTree(run.out())).extracting(n -> n.get("code").asText()).containsExactly("550", "5.1.1");
    }

    @Test
    void linesOfOneReplyWithDifferentEnhancedCodesAreReported() {
        CliRun run = CliRun.of("explain", "550-5.1.1 No such user\n550 5.7.1 Relaying denied");
        assertThat(run.exitCode()).isZero();
        assertThat(run.err()).contains("the lines of the 550 reply carry different enhanced codes (5.1.1, 5.7.1):"
                + " RFC 2034 §4 requires the same enhanced code at the start of every line of a reply.");
    }

    /** RFC 2034 §4 does not ask for codes on 3xx replies or the greeting, but allows them: a note, not a fault. */
    @Test
    void enhancedCodesOnA3xxReplyOrTheGreetingAreNoted() {
        assertThat(CliRun.of("explain", "354 2.0.0 Go ahead").err())
                .startsWith("posthorn explain: note: \"354 2.0.0\" puts an enhanced code on a 3xx reply. That is"
                        + " allowed but unusual: RFC 2034 §4").contains("need not carry one");
        assertThat(CliRun.of("explain", "220 2.0.0 mx.example.com ESMTP").err())
                .startsWith("posthorn explain: note: \"220 2.0.0\" looks like a greeting").contains("need not");
        assertThat(CliRun.of("explain", "220 2.0.0 Ready to start TLS").err()).isEmpty();
        assertThat(CliRun.of("explain", "250 2.1.5 Fred.Smith <fred@example.com>").err()).isEmpty();
    }

    @Test
    void findingsAreReportedInTheRequestedLanguage() {
        CliRun run = CliRun.of("explain", "354 2.0.0 Go ahead", "--lang", "tr");
        assertThat(run.err()).contains("posthorn explain: not: \"354 2.0.0\" bir 3xx yanıtına genişletilmiş kod koyuyor");
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
