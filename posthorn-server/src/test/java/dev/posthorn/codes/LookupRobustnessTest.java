package dev.posthorn.codes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.posthorn.codes.ReplyFinding.Kind;
import java.time.Duration;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Pasted text is untrusted: explain must neither crash, hang, nor invent findings. */
class LookupRobustnessTest {

    @Test
    void aLongDottedWordAfterTheCodesDoesNotOverflowTheStack() {
        String line = "250 2.0.0 " + "a.".repeat(5_000) + "a";
        assertThat(Lookup.parse(line).findings()).isNotNull();
    }

    /**
     * The other shapes that could make a regex recurse or backtrack far, each some tens of kilobytes long (the
     * dotted word overflowed the stack at three).
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"250 2.0.0 [", "220 ", "250-", "550 ", "550-5.1.1 ", "<a", "5.", "a-"})
    void aLongRunOfOneShapeIsReadWithoutCrashing(String unit) {
        String repeated = unit + unit.substring(unit.length() - 1).repeat(20_000) + " " + unit.repeat(2_000);
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            Lookup lookup = Lookup.parse(repeated);
            assertThat(lookup.findings()).isNotNull();
            assertThat(Lookup.parse(repeated.replace(' ', '\n')).codes()).isNotNull();
        });
    }

    /**
     * About complexity, not speed: a megabyte read in quadratic time takes minutes, in linear time well under a
     * second, so the bound is generous for a loaded two-core machine and still fails the quadratic version.
     */
    @Test
    void aMegabyteOfDistinctCodesIsReadInBoundedTime() {
        String reply = "550-" + IntStream.range(0, 60_000)
                .mapToObj(i -> "5." + (i % 999) + "." + (i / 999 % 999) + " x")
                .collect(Collectors.joining("\n550-")) + "\n550 5.0.0 end";
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            Lookup lookup = Lookup.parse(reply);
            lookup.codes();
            lookup.findings();
        });
    }

    @Test
    void aTranscriptWithPrefixedLinesIsNotMisgrouped() {
        Lookup lookup = Lookup.parse("""
                <** 550-5.7.1 Relaying denied
                <** 550 see https://example.com/relay
                 -> QUIT
                <-  221 2.0.0 Bye""");
        assertThat(lookup.findings()).extracting(ReplyFinding::kind)
                .doesNotContain(Kind.CODES_DIFFER, Kind.CLASS_MISMATCH, Kind.ENHANCED_DIFFERS);
    }

    @Test
    void aPostfixBounceWithTwoRecipientsHasNoFindings() {
        Lookup lookup = Lookup.parse("""
                <a@gmail.com>: host gmail-smtp-in.l.google.com[142.250.1.26] said:
                    550-5.1.1 The email account that you tried to reach does not exist. Please
                    try 550-5.1.1 double-checking the recipient's email address for typos or
                    550-5.1.1 unnecessary spaces. Learn more at 550 5.1.1
                    https://support.google.com/mail/?p=NoSuchUser a1si1 - gsmtp (in reply to
                    RCPT TO command)

                <b@example.net>: host mx.example.net[192.0.2.7] said: 552 5.2.2 Mailbox full
                    (in reply to RCPT TO command)""");
        assertThat(lookup.replies()).extracting(PastedReply::code).containsExactly("550", "552");
        assertThat(lookup.findings()).isEmpty();
    }

    /** Postfix's log line folds Gmail's four-line reply onto one line; the 452 after it is a reply of its own. */
    @Test
    void aReplyFoldedOntoOneLogLineEndsOnThatLine() {
        Lookup lookup = Lookup.parse("""
                to=<a@gmail.com>, status=bounced (host gmail-smtp-in.l.google.com[142.250.1.26] said: 550-5.1.1 \
                The email account that you tried to reach does not exist. Please try 550-5.1.1 double-checking the \
                recipient's email address for typos or 550-5.1.1 unnecessary spaces. Learn more at 550 5.1.1 \
                https://support.google.com/mail/?p=NoSuchUser a1si1 - gsmtp (in reply to RCPT TO command))
                to=<b@example.net>, status=deferred (host mx.example.net[192.0.2.7] said: 452 4.2.2 Mailbox full \
                (in reply to RCPT TO command))""");
        assertThat(lookup.replies()).extracting(PastedReply::code).containsExactly("550", "452");
        assertThat(lookup.replies().getFirst().lines()).hasSize(4);
        assertThat(lookup.findings()).isEmpty();
    }

    /** A reply cut off in the paste does not run into the next recipient's part of the bounce. */
    @Test
    void aNewRecipientOrABlankLineEndsAnOpenReply() {
        Lookup lookup = Lookup.parse("""
                <a@example.com>: host mx.example.com said: 550-5.1.1 No such user
                <b@example.net>: host mx.example.net said: 452-4.2.2 Mailbox full

                451 4.3.0 Try again later""");
        assertThat(lookup.replies()).extracting(PastedReply::code).containsExactly("550", "452", "451");
        assertThat(lookup.findings()).isEmpty();
    }
}
