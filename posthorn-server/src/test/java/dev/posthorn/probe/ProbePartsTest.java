package dev.posthorn.probe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.codes.Catalogue;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pieces without a network: reply parsing, the one-line explanation, host name matching. */
class ProbePartsTest {

    @Test
    void enhancedCodeIsTakenOnlyWhenItsClassMatchesTheReply() {
        assertThat(SmtpReply.of(530, List.of("530 5.7.0 Authentication required")).enhanced()).isEqualTo("5.7.0");
        assertThat(SmtpReply.of(530, List.of("530 4.7.0 odd")).enhanced()).isNull();
        assertThat(SmtpReply.of(220, List.of("220 mx.example ESMTP")).enhanced()).isNull();
        assertThat(SmtpReply.of(250, List.of("250 2.0.0")).enhanced()).isEqualTo("2.0.0");
        SmtpReply ehlo = SmtpReply.of(250, List.of("250-mx greets you", "250-STARTTLS", "250 SIZE 10"));
        assertThat(ehlo.texts()).containsExactly("mx greets you", "STARTTLS", "SIZE 10");
    }

    @Test
    void theExplanationPrefersASpecificEnhancedCodeOverTheBasicOne() {
        TranscriptPrinter en = new TranscriptPrinter(Catalogue.load("en"));
        assertThat(en.explanation(SmtpReply.of(550, List.of("550 5.1.1 <u@x>: User unknown"))))
                .isEqualTo("Bad Destination Mailbox Address");
        // X.7.0 is "other or undefined": the basic code says more.
        assertThat(en.explanation(SmtpReply.of(530, List.of("530 5.7.0 Authentication required"))))
                .isEqualTo("Authentication Required");
        assertThat(en.explanation(SmtpReply.of(220, List.of("220 mx ESMTP")))).isEqualTo("Service Ready");
        // Not in the catalogue: the class.
        assertThat(en.explanation(SmtpReply.of(599, List.of("599 strange")))).isEqualTo("5xx Permanent Negative");

        TranscriptPrinter tr = new TranscriptPrinter(Catalogue.load("tr"));
        assertThat(tr.explanation(SmtpReply.of(535, List.of("535 5.7.8 Authentication credentials invalid"))))
                .isEqualTo("Kimlik bilgileri geçersiz");
    }

    @Test
    void theExplanationStandsInAColumnAfterTheLastLineOfAReply() {
        TranscriptPrinter en = new TranscriptPrinter(Catalogue.load("en"));
        List<String> lines = en.lines(new TranscriptEntry.Received(Step.EHLO,
                SmtpReply.of(250, List.of("250-mx greets you", "250 STARTTLS"))));
        assertThat(lines).containsExactly("← 250-mx greets you",
                "← 250 STARTTLS" + " ".repeat(TranscriptPrinter.COLUMN - 14) + "Requested Mail Action Okay, Completed");
    }

    @Test
    void hostNamesMatchLikeRfc6125() {
        assertThat(CertificateInspector.matches(List.of("mx.example.org"), "MX.Example.org.")).isTrue();
        assertThat(CertificateInspector.matches(List.of("*.example.org"), "mx.example.org")).isTrue();
        assertThat(CertificateInspector.matches(List.of("*.example.org"), "a.b.example.org")).isFalse();
        assertThat(CertificateInspector.matches(List.of("*.org"), "example.org")).isFalse();
        assertThat(CertificateInspector.matches(List.of("mx.posthorn.test"), "127.0.0.1")).isFalse();
        assertThat(CertificateInspector.matches(List.of("127.0.0.1"), "127.0.0.1")).isTrue();
        assertThat(CertificateInspector.matches(List.of("0:0:0:0:0:0:0:1"), "::1")).isTrue();
    }

    @Test
    void everyDurationReadsNaturally() {
        var en = Catalogue.load("en").language();
        var tr = Catalogue.load("tr").language();
        assertThat(TranscriptPrinter.duration(en, 1000)).isEqualTo("1 second");
        assertThat(TranscriptPrinter.duration(en, 30_000)).isEqualTo("30 seconds");
        assertThat(TranscriptPrinter.duration(en, 500)).isEqualTo("0.5 seconds");
        assertThat(TranscriptPrinter.duration(tr, 30_000)).isEqualTo("30 saniye");
    }

    @Test
    void optionsNeverShowThePassword() {
        ProbeOptions o = ProbeOptions.of("mx.example.org", 587).withLogin("u@example.org", "s3cret".toCharArray());
        assertThat(o.toString()).contains("u@example.org").doesNotContain("s3cret");
        assertThat(o.sender()).isEqualTo("u@example.org");
        o.wipePassword();
        assertThat(new String(o.password())).isEqualTo("\0".repeat(6));
        assertThat(ProbeOptions.of("::1", 25).address()).isEqualTo("[::1]:25");
    }
}
