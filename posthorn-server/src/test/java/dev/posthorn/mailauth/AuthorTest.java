package dev.posthorn.mailauth;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The author (RFC 5322 From, one mailbox) that DMARC judges and DKIM signing follows, read strictly: whatever
 * a mail reader could show as the author must be the one mailbox named, or nothing is.
 */
class AuthorTest {

    static Author author(String fromValue) {
        return Author.of(MessageHeader.parse(("From:" + fromValue + "\r\nSubject: x\r\n\r\nbody\r\n")
                .getBytes(StandardCharsets.ISO_8859_1)));
    }

    static String one(String fromValue) {
        return ((Author.One) author(fromValue)).mailbox().address();
    }

    static String unjudgeable(String fromValue) {
        return ((Author.Unjudgeable) author(fromValue)).reason();
    }

    @Test
    void commentsDisplayNamesAndQuotedLocalPartsComeOutAsThePlainMailbox() {
        assertThat(one(" ceo@other.test (<alice@posthorn.test>)")).isEqualTo("ceo@other.test");
        assertThat(one(" \"ceo\"@other.test")).isEqualTo("ceo@other.test");
        assertThat(one(" \"ceo@bank.test\" (really@bank.test) <x@evil.test>")).isEqualTo("x@evil.test");
        assertThat(one(" (a (b) c) x@evil.test")).isEqualTo("x@evil.test");
        assertThat(one(" =?utf-8?q?Bank=20CEO?= <x@evil.test>")).isEqualTo("x@evil.test");
        assertThat(one(" Sender\r\n <x@evil.test>")).isEqualTo("x@evil.test");
    }

    /** A reader that shows the first address sees ceo@bank.test: neither may stand for the message. */
    @Test
    void twoAngleAddressesWithoutACommaAreNoAuthor() {
        assertThat(unjudgeable(" <ceo@bank.test> <x@evil.test>")).isEqualTo("From is not an RFC 5322 mailbox list");
    }

    @Test
    void anAddressFollowedByMoreTextIsNoAuthor() {
        assertThat(unjudgeable(" <x@evil.test> ceo@bank.test")).isEqualTo("From is not an RFC 5322 mailbox list");
    }

    @Test
    void listsGroupsAndMailboxesWithoutADomainAreNoAuthor() {
        assertThat(unjudgeable(" a@evil.test, b@bank.test")).isEqualTo("From must hold exactly one address");
        assertThat(unjudgeable(" undisclosed: ceo@bank.test;")).isEqualTo("From contains a group");
        assertThat(unjudgeable(" ceo")).isEqualTo("From is not an RFC 5322 mailbox list");
        assertThat(unjudgeable(" ")).isEqualTo("From must hold exactly one address");
        // The reader (shared with sender binding) keeps ""@x; no one's mailbox, so not one to sign for.
        assertThat(unjudgeable(" \"\"@bank.test")).isEqualTo("From names a mailbox without a local part");
        assertThat(unjudgeable(" <@bank.test>")).isEqualTo("From is not an RFC 5322 mailbox list");
    }

    @Test
    void brokenEncodingsAndControlCharactersAreNoAuthor() {
        assertThat(unjudgeable(" =?utf-8?q?a= b?= <x@evil.test>"))
                .isEqualTo("From has a display name that cannot be decoded (RFC 2047)");
        assertThat(unjudgeable(" x@evil.test\u0000")).isEqualTo("From contains a control character");
        assertThat(unjudgeable(" \u00ff <x@evil.test>")).isEqualTo("From is not valid UTF-8");
    }

    @Test
    void twoFromFieldsAreNoAuthorAndNoneIsAbsent() {
        assertThat(Author.of(MessageHeader.parse("From: a@evil.test\r\nFrom: b@bank.test\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII)))).isEqualTo(new Author.Unjudgeable("more than one From field"));
        assertThat(Author.of(MessageHeader.parse("Subject: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII))))
                .isEqualTo(new Author.Absent());
    }
}
