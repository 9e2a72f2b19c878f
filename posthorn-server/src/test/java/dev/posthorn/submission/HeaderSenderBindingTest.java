package dev.posthorn.submission;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.smtp.protocol.ListenerRole;
import dev.posthorn.store.UserStore;
import dev.posthorn.testing.RunningServer;
import dev.posthorn.testing.SmtpWire;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Sender binding of the header (RFC 6409 §6.1, SMTP-CONFORMANCE A-20) against the ways a header can name
 * another author: alice may send only as alice@posthorn.test and her alias. Every case goes over the wire
 * on the implicit-TLS port after AUTH, and asserts the exact reply at the end of DATA (or BDAT).
 */
class HeaderSenderBindingTest {

    static final String ALICE = "alice@posthorn.test";
    static final String PASSWORD = "correct horse battery staple";
    static final String NOT_OWNED = "553 5.7.1 Sender address not owned by user";
    static final String UNREADABLE = "550 5.7.1 Header sender cannot be checked: ";
    static final String TOO_LARGE = "552 5.3.4 Message header too large to check the sender";
    static final String QUEUED = "250 2.0.0 Ok: queued as ";

    @TempDir
    static Path dataDir;
    static RunningServer server;

    @BeforeAll
    static void start() {
        UserStore users = UserStore.open(dataDir);
        users.add(ALICE, PASSWORD.toCharArray());
        users.addAlias(ALICE, "a.liddell@posthorn.test");
        users.add("bob@posthorn.test", "bobs password".toCharArray());
        server = RunningServer.start(dataDir);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** The two bypasses of issue 10, each of which the old scanner let through with 250. */
    @Test
    void aQuotedLocalPartOfAnotherDomainIsRefused() throws IOException {
        assertThat(send("From: \"ceo\"@victim.example\r\nSubject: pay\r\n\r\nx\r\n")).isEqualTo(NOT_OWNED);
    }

    @Test
    void aFromFieldAfterMoreThan256KiBOfOtherFieldsIsStillChecked() throws IOException {
        String filler = filler(300 * 1024);
        assertThat(send(filler + "From: ceo@victim.example\r\n\r\nx\r\n")).isEqualTo(NOT_OWNED);
        // ... and the same header with alice's own address goes through: the size alone is no reason.
        assertThat(send(filler + "From: alice@posthorn.test\r\n\r\nx\r\n")).startsWith(QUEUED);
    }

    @Test
    void aHeaderLargerThanTheServerExaminesIsRefusedNotPassedUnchecked() throws IOException {
        String filler = filler(1100 * 1024);
        assertThat(send("From: alice@posthorn.test\r\n" + filler + "\r\nx\r\n")).isEqualTo(TOO_LARGE);
        // A header with no end at all (no empty line, no body) is all header: the same.
        assertThat(send("From: alice@posthorn.test\r\n" + filler)).isEqualTo(TOO_LARGE);
        // So is a From: longer than the 64 KiB of address fields the server keeps, folded over many lines.
        String many = "alice@posthorn.test,\r\n ".repeat(4000) + "ceo@victim.example";
        assertThat(send("From: " + many + "\r\n\r\nx\r\n")).isEqualTo(TOO_LARGE);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "From: ceo@victim.example",
        "FROM: ceo@victim.example",
        "From : ceo@victim.example",
        "From:\r\n\tceo@victim.example",
        "From: Alice\r\n <ceo@victim.example>",
        "From: ceo(comment)@victim.example",
        "From: ceo @victim.example",
        "From: <@route.example:ceo@victim.example>",
        "From: \"alice@posthorn.test\"@victim.example",
        "From: alice@posthorn.test, ceo@victim.example",
        "From: \"Alice <alice@posthorn.test>\" <ceo@victim.example>",
        "From: =?utf-8?q?alice=40posthorn.test?= <ceo@victim.example>",
        "From: =?utf-8?q?ceo@victim.example?=",
        "From: alice@posthorn.test.",
        "From: alice@[127.0.0.1]",
        "From: ceö@victim.example",
        "From: alice@posthorn.test\r\nSender: ceo@victim.example",
    })
    void everyFormOfAnotherAuthorIsNotOwned(String field) throws IOException {
        assertThat(send(field + "\r\nSubject: t\r\n\r\nbody\r\n")).isEqualTo(NOT_OWNED);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "From: alice@posthorn.test\r\nFrom: ceo@victim.example|more than one From: field",
        "From: ceo@victim.example\r\nFrom: alice@posthorn.test|more than one From: field",
        "From: \"ceo@victim.example\":;|From: contains a group",
        "From: Staff: alice@posthorn.test;|From: contains a group",
        "From: <ceo@victim.example|From: is not an RFC 5322 mailbox list",
        "From: Alice|From: is not an RFC 5322 mailbox list",
        "From:|From: names no mailbox",
        " From: ceo@victim.example\r\nFrom: alice@posthorn.test|the header starts with a folded line",
        "X-Note: a\r\nFrom ceo@victim.example\r\nFrom: alice@posthorn.test|a header line that is not a field",
        "\uFEFFFrom: ceo@victim.example\r\nFrom: alice@posthorn.test|a header line that is not a field",
        "From: alice@posthorn.test\r\nSender: a@posthorn.test, b@posthorn.test|Sender: must name exactly one mailbox",
        "Sender: alice@posthorn.test|Sender: without From:",
        "From: =?utf-8?q?a= b?= <alice@posthorn.test>|From: has a display name that cannot be decoded (RFC 2047)",
        // Display-name spoofing (review of issue 10): the reader shows the name, binding checked the mailbox.
        "From: =?utf-8?q?ceo=40victim.example?= <alice@posthorn.test>|a display name looks like another address",
        "From: \"ceo@victim.example\" <alice@posthorn.test>|a display name looks like another address",
        "From: \"CEO (ceo\uFF20victim.example)\" <alice@posthorn.test>|a display name looks like another address",
        "From: alice@posthorn.test\r\nSender: \"ceo@victim.example\" <alice@posthorn.test>|a display name looks"
                + " like another address",
    })
    void aHeaderThatCannotBeReadIsRefusedAndSaysWhy(String row) throws IOException {
        String[] parts = row.split("\\|");
        assertThat(send(parts[0] + "\r\nSubject: t\r\n\r\nbody\r\n")).isEqualTo(UNREADABLE + parts[1]);
    }

    @Test
    void aNulOrAControlCharacterInTheHeaderIsRefused() throws IOException {
        assertThat(send("From: alice@posthorn.test\u0000ceo@victim.example\r\n\r\nx\r\n"))
                .isEqualTo(UNREADABLE + "a NUL in the header");
        assertThat(send("From: alice@posthorn.test\u001b\r\n\r\nx\r\n"))
                .isEqualTo(UNREADABLE + "From: contains a control character");
    }

    @Test
    void eightBitThatIsNotUtf8IsRefused() throws IOException {
        byte[] latin1 = "From: ce\u00f6@victim.example\r\n\r\nx\r\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        try (SmtpWire wire = authenticated()) {
            startData(wire);
            wire.sendBytes(latin1);
            assertThat(wire.command(".")).isEqualTo(UNREADABLE + "From: is not valid UTF-8");
        }
    }

    /** A From: hidden behind a bare LF in BDAT content must not pass: the content is refused as DATA's would be. */
    @Test
    void aFromAfterABareLfInBdatContentIsRefused() throws IOException {
        byte[] content = "X-Note: a\nFrom: ceo@victim.example\r\nFrom: alice@posthorn.test\r\n\r\nx\r\n".getBytes(UTF_8);
        try (SmtpWire wire = authenticated()) {
            assertThat(wire.command("MAIL FROM:<alice@posthorn.test>")).isEqualTo("250 2.1.0 Sender OK");
            assertThat(wire.command("RCPT TO:<bob@posthorn.test>")).isEqualTo("250 2.1.5 Recipient OK");
            wire.send("BDAT " + content.length + " LAST\r\n").sendBytes(content);
            assertThat(wire.reply()).isEqualTo("550 5.5.2 Error: bare <LF> received");
            // The session goes on.
            assertThat(wire.command("NOOP")).isEqualTo("250 2.0.0 OK");
        }
    }

    @Test
    void aFromFieldSplitAcrossBdatChunksIsCheckedWhole() throws IOException {
        try (SmtpWire wire = authenticated()) {
            assertThat(wire.command("MAIL FROM:<alice@posthorn.test>")).isEqualTo("250 2.1.0 Sender OK");
            assertThat(wire.command("RCPT TO:<bob@posthorn.test>")).isEqualTo("250 2.1.5 Recipient OK");
            String first = "From: alice@posthorn.test,\r\n";
            assertThat(wire.send("BDAT " + first.length() + "\r\n" + first).reply())
                    .isEqualTo("250 2.0.0 " + first.length() + " octets received");
            String second = " ceo@victim.example\r\n\r\nx\r\n";
            assertThat(wire.send("BDAT " + second.length() + " LAST\r\n" + second).reply()).isEqualTo(NOT_OWNED);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "From: alice@posthorn.test",
        "From: Alice@Posthorn.Test",
        "From: \"alice\"@posthorn.test",
        "From: Alice Liddell <a.liddell@posthorn.test>",
        "From: \"Liddell, Alice\" <alice@posthorn.test> (work)",
        "From: =?utf-8?q?Alice_Liddell?= <alice@posthorn.test>",
        "From: Älice <alice@posthorn.test>",
        "From: \"alice@posthorn.test\" <alice@posthorn.test>",
        "From: \"Alice @ home\" <alice@posthorn.test>",
        "From:\r\n\tAlice\r\n <alice@posthorn.test>",
        "From: alice@posthorn.test, a.liddell@posthorn.test\r\nSender: alice@posthorn.test",
        "Subject: no From: at all",
    })
    void alicesOwnAddressesInAnyRfc5322FormAreAccepted(String field) throws IOException {
        assertThat(send(field + "\r\nSubject: t\r\n\r\nbody\r\n")).startsWith(QUEUED);
    }

    @Test
    void theSameHeaderOnTheMxPortIsNotBound() throws IOException {
        // Sender binding is about authenticated users; MX mail from elsewhere is not refused for its From:.
        try (SmtpWire wire = SmtpWire.connect(server.mxPort())) {
            wire.reply();
            wire.command("EHLO client.test");
            wire.command("MAIL FROM:<ceo@victim.example>");
            wire.command("RCPT TO:<bob@posthorn.test>");
            wire.command("DATA");
            assertThat(wire.command("From: \"ceo\":;\r\n\r\nx\r\n.")).startsWith(QUEUED);
        }
    }

    // ---------------------------------------------------------------- helpers

    private static String filler(int octets) {
        StringBuilder filler = new StringBuilder(octets + 100);
        for (int i = 0; filler.length() < octets; i++) {
            filler.append("X-Filler-").append(i).append(": ").append("y".repeat(900)).append("\r\n");
        }
        return filler.toString();
    }

    private static SmtpWire authenticated() throws IOException {
        return SmtpWire.submittingTls(server.port(ListenerRole.SUBMISSIONS), ALICE, PASSWORD);
    }

    private static void startData(SmtpWire wire) throws IOException {
        assertThat(wire.command("MAIL FROM:<alice@posthorn.test>")).isEqualTo("250 2.1.0 Sender OK");
        assertThat(wire.command("RCPT TO:<bob@posthorn.test>")).isEqualTo("250 2.1.5 Recipient OK");
        assertThat(wire.command("DATA")).isEqualTo("354 End data with <CR><LF>.<CR><LF>");
    }

    /** Sends one message as alice (content must end with CRLF) and returns the reply to its end. */
    private static String send(String content) throws IOException {
        try (SmtpWire wire = authenticated()) {
            startData(wire);
            ByteArrayOutputStream stuffed = new ByteArrayOutputStream();
            stuffed.writeBytes(content.replace("\r\n.", "\r\n..").getBytes(UTF_8));
            wire.sendBytes(stuffed.toByteArray());
            String reply = wire.command(".");
            // Whatever the verdict, the session is still there.
            assertThat(wire.command("NOOP")).isEqualTo("250 2.0.0 OK");
            return reply;
        }
    }
}
