package dev.posthorn.codes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.codes.ReplyFinding.Kind;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LookupTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
        "530|530|-",
        "5.7.0|-|5.7.0",
        "530 5.7.0 Authentication required|530|5.7.0",
        "530-5.7.0 Authentication required|530|5.7.0",
        "  550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown  |550|5.1.1",
        "host mx.example.com[203.0.113.5] said: 550 5.7.1 <a@example.org>: Relaying denied (in reply to RCPT TO command)|550|5.7.1",
        "Diagnostic-Code: smtp; 552-5.2.2 The email account that you tried to reach is over quota|552|5.2.2",
        "220 mx.example.com ESMTP Postfix|220|-",
        "Status: 4.4.7|-|4.4.7",
        "421 mx.example.com Service not available|421|-",
        "hello there|-|-",
    })
    void findsTheCodesInWhatUsersPaste(String input, String basic, String enhanced) {
        Lookup lookup = Lookup.parse(input);
        assertThat(lookup.basic()).isEqualTo(basic);
        assertThat(lookup.enhanced()).isEqualTo(enhanced);
    }

    @ParameterizedTest
    @CsvSource({"530 4.7.0 Try again, true", "530 5.7.0 Authentication required, false", "5.7.0, false"})
    void noticesWhenTheClassesOfALineDisagree(String input, boolean disagree) {
        assertThat(Lookup.parse(input).classesDisagree()).isEqualTo(disagree);
    }

    /** RFC 5321 §4.2.1: "code-" lines continue a reply, the "code SP" line ends it. */
    @Test
    void continuationLinesFormOneReply() {
        Lookup lookup = Lookup.parse("""
                250-mx.example.com Hello client.example.org
                250-PIPELINING
                250-SIZE 10240000
                250 ENHANCEDSTATUSCODES""");
        assertThat(lookup.replies()).hasSize(1);
        assertThat(lookup.replies().getFirst().lines()).hasSize(4);
        assertThat(lookup.codes()).containsExactly("250");
        assertThat(lookup.findings()).isEmpty();
    }

    /** A Gmail bounce: four lines of one 550 reply, each repeating 5.1.1 as RFC 2034 §4 asks. */
    @Test
    void bounceWithAMultilineReplyIsOneReplyWithOneEnhancedCode() {
        Lookup lookup = Lookup.parse("""
                Final-Recipient: rfc822; nobody@gmail.example
                Action: failed
                Status: 5.1.1
                Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does not exist. Please try
                    550-5.1.1 double-checking the recipient's email address for typos or
                    550-5.1.1 unnecessary spaces. Learn more at
                    550 5.1.1  https://support.example.com/mail/?p=NoSuchUser""");
        assertThat(lookup.replies()).hasSize(1);
        assertThat(lookup.codes()).containsExactly("550", "5.1.1");
        assertThat(lookup.findings()).isEmpty();
    }

    @Test
    void separateRepliesStaySeparate() {
        Lookup lookup = Lookup.parse("""
                <a@example.com>: host mx.example.com said: 550 5.1.1 User unknown (in reply to RCPT TO command)
                <b@example.com>: host mx.example.com said: 452 4.2.2 Mailbox full (in reply to RCPT TO command)""");
        assertThat(lookup.replies()).extracting(PastedReply::code).containsExactly("550", "452");
        assertThat(lookup.codes()).containsExactly("550", "5.1.1", "452", "4.2.2");
        assertThat(lookup.findings()).isEmpty();
    }

    /** Next to real reply lines, a number in mid-sentence is not taken for a reply code. */
    @Test
    void aNumberInProseIsNotAReplyWhenReplyLinesArePresent() {
        Lookup lookup = Lookup.parse("""
                The message of 500 lines could not be delivered.
                550 5.7.1 Relaying denied""");
        assertThat(lookup.codes()).containsExactly("550", "5.7.1");
    }

    /** RFC 2034 §4 does not require codes on 3xx replies, the greeting or the EHLO reply, nor forbid them there. */
    @Test
    void codesWhereTheRfcDoesNotAskForThemAreNotesNotFaults() {
        assertThat(Kind.ENHANCED_ON_3XX.violation()).isFalse();
        assertThat(Kind.ENHANCED_ON_GREETING.violation()).isFalse();
        assertThat(Kind.ENHANCED_ON_EHLO.violation()).isFalse();
        assertThat(Kind.CLASS_MISMATCH.violation()).isTrue();
        assertThat(Kind.CODES_DIFFER.violation()).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        // RFC 2034 §4: class agrees with the first digit.
        "530 4.7.0 Try again|CLASS_MISMATCH",
        // RFC 2034 §4: "Note that 3xx responses are NOT included in this list."
        "354 2.0.0 Go ahead|ENHANCED_ON_3XX",
        // ... "other than initial greeting and any response to HELO or EHLO".
        "220 2.0.0 mx.example.com ESMTP ready|ENHANCED_ON_GREETING",
        "250-2.0.0 mx.example.com Hello\\n250 2.0.0 PIPELINING|ENHANCED_ON_EHLO",
        "EHLO client.example.org\\n250 2.0.0 mx.example.com|ENHANCED_ON_EHLO",
        " -> ehlo client.example.org\\n<-  250-2.0.0 mx.example.com Hello\\n<-  250 2.0.0 HELP|ENHANCED_ON_EHLO",
        // ... "the same status code must appear at the beginning of the text in each line".
        "550-5.1.1 No such user\\n550 5.7.1 Relaying denied|ENHANCED_DIFFERS",
        "550-5.1.1 No such user\\n550 here|ENHANCED_MISSING",
        // RFC 5321 §4.2.1: "the reply code on each of the lines MUST be the same".
        "550-5.1.1 No such user\\n551 5.1.1 Try elsewhere|CODES_DIFFER",
    })
    void reportsWhatBreaksTheRules(String input, Kind kind) {
        List<ReplyFinding> findings = Lookup.parse(input.replace("\\n", "\n")).findings();
        assertThat(findings).extracting(ReplyFinding::kind).containsExactly(kind);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "220 2.0.0 Ready to start TLS",
        "220 mx.example.com ESMTP Posthorn",
        "354 End data with <CR><LF>.<CR><LF>",
        "250 2.1.5 Recipient OK",
        "250-mx.example.com greets client\\n250-PIPELINING\\n250 SMTPUTF8",
        "550-5.1.1 a\\n550 5.1.1 b",
        // RFC 2034 §4 wants codes on these; a dotted word after them is no sign of an EHLO reply.
        "250 2.1.5 Fred.Smith <fred@example.com>",
        "250 2.0.0 1.2.3.4 accepted",
        "503 5.5.1 Error: send HELO/EHLO first\\n250 2.0.0 mail.example.com ok",
    })
    void wellFormedRepliesHaveNoFindings(String input) {
        assertThat(Lookup.parse(input.replace("\\n", "\n")).findings()).isEmpty();
    }
}
