package dev.posthorn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class CompareCommandTest {

    @Test
    void comparesBasicWithEnhanced() {
        CliRun run = CliRun.of("compare", "535", "5.7.8");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).startsWith("SMTP 535 Authentication Credentials Invalid vs 5.7.8 Authentication"
                + " Credentials Invalid\n");
    }

    @Test
    void pageHasTheSixSectionsInOrder() {
        String page = CliRun.of("compare", "450", "550", "--format", "markdown").out();
        assertThat(page).containsSubsequence("## Description", "## When you see it", "## How to fix",
                "## Key differences", "## When to use which", "## Learn more");
    }

    @Test
    void jsonCarriesBothCodesAndTheDerivedSentences() throws Exception {
        JsonNode node = new ObjectMapper().readTree(CliRun.of("compare", "421", "4.4.2", "--format", "json").out());
        assertThat(node.get("a").get("code").asText()).isEqualTo("421");
        assertThat(node.get("b").get("code").asText()).isEqualTo("4.4.2");
        assertThat(node.get("differences").get(0).asText()).startsWith("421 is a basic reply code");
        assertThat(node.get("whenToUse")).isNotEmpty();
    }

    @Test
    void unknownCodeOnEitherSideExits2WithTheHint() {
        CliRun run = CliRun.of("compare", "220", "5.9.1");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).contains("5.9.1 is not registered: there is no subject 9.");
    }

    @Test
    void aWholeReplyLineOnOneSideIsRefused() {
        CliRun run = CliRun.of("compare", "530 5.7.0", "220");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("holds more than one code (530 or 5.7.0)");
    }
}
