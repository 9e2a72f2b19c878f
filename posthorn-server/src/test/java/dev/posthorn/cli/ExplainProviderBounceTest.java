package dev.posthorn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@code posthorn explain} on a pasted provider bounce: the provider's advice comes before the generic meaning. */
class ExplainProviderBounceTest {

    private static final String GMAIL = """
            550-5.7.26 This mail has been blocked because the sender is unauthenticated.
            550-5.7.26 Gmail requires all senders to authenticate with either SPF or DKIM.
            550 5.7.26 d9443c01a7336-2a0f0c1b2c3si12345.118 - gsmtp""";

    @Test
    void aMultiLineGmailBounceGetsGmailsAdviceAboveTheMeaningOfItsCodes() {
        CliRun run = CliRun.of("explain", GMAIL);
        assertThat(run.exitCode()).isZero();
        assertThat(run.err()).isEmpty();
        String out = run.out();
        int advice = out.indexOf("Gmail: 550 5.7.26 — Sender not authenticated");
        int who = out.indexOf("Who must act: The sender's mail operator");
        int generic = out.indexOf("550 Requested Action Not Taken: Mailbox Unavailable: 5xx Permanent Negative.");
        assertThat(advice).isGreaterThan(0);
        assertThat(who).isGreaterThan(advice);
        assertThat(generic).isGreaterThan(who);
        assertThat(out).contains("Source: Gmail's reference page, read on 2026-12-01");
    }

    @Test
    void aMicrosoftCodeOutsideTheRegistryIsExplainedByTheProvidersAdvice() {
        CliRun run = CliRun.of("explain", "--lang", "tr",
                "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP");
        assertThat(run.exitCode()).isZero();
        assertThat(run.err()).contains("5.7.708");
        assertThat(run.out()).contains("Microsoft 365 / Outlook.com: 550 5.7.708 — Bu IP'den gelen trafik kabul edilmiyor")
                .contains("Kim harekete geçmeli:");
    }

    @Test
    void anOrdinaryLineHasNoProviderSection() {
        CliRun run = CliRun.of("explain", "530 5.7.0 Authentication required");
        assertThat(run.out()).doesNotContain("Who must act").doesNotContain("Source:");
    }
}
