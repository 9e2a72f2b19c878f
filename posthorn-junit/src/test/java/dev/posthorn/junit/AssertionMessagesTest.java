package dev.posthorn.junit;

import static dev.posthorn.junit.PosthornAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.posthorn.smtp.session.ReplyScript.Stage;
import dev.posthorn.testmode.CapturedMessage;
import dev.posthorn.testmode.MailQuery;
import jakarta.mail.MessagingException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Failures explain themselves: the messages are checked word for word. */
class AssertionMessagesTest {

    @RegisterExtension
    static PosthornExtension mail = PosthornExtension.start().awaitTimeout(Duration.ofMillis(300));

    @Test
    void aMissingMessageSaysWhatTheClientWasToldAndWhatItMeans() {
        catchThrowableOfType(MessagingException.class,
                () -> Mails.send(mail, "shop@shop.test", "451-4.7.1@fail.test", "Order 17"));

        AssertionError failure = catchThrowableOfType(AssertionError.class, () -> assertThat(mail).received(1));

        assertThat(failure).hasMessage("""
                Expected 1 message to be received within 300 ms, but 0 were.
                Received: none
                Scripted replies the client got:
                  RCPT TO:<451-4.7.1@fail.test> -> 451 4.7.1 Delivery Not Authorized, Message Refused (address trigger)
                    451: %s
                    4.7.1: %s""".formatted(catalogue("451"), catalogue("4.7.1")));
    }

    @Test
    void aMessageToTheWrongRecipientIsListed() throws Exception {
        Mails.send(mail, "shop@shop.test", "carol@here.test", "Welcome");
        CapturedMessage sent = mail.messages().get(0);

        AssertionError failure = catchThrowableOfType(AssertionError.class,
                () -> assertThat(mail).received(1).to("bob@here.test"));

        assertThat(failure).hasMessage("Expected every message to be to <bob@here.test>, but 1 of 1 was not:\n"
                + "  1. " + sent.id() + " from <shop@shop.test> to [<carol@here.test>], Subject: \"Welcome\"\n"
                + "No scripted replies.");
    }

    @Test
    void tooManyMessagesAreListed() throws Exception {
        Mails.send(mail, "shop@shop.test", "a@here.test", "One");
        Mails.send(mail, "shop@shop.test", "b@here.test", "Two");
        var all = mail.messages();

        AssertionError failure = catchThrowableOfType(AssertionError.class, () -> assertThat(mail).received(1));

        assertThat(failure).hasMessage("Expected 1 message to be received within 300 ms, but 2 were.\n"
                + "Received:\n"
                + "  1. " + all.get(0).id() + " from <shop@shop.test> to [<a@here.test>], Subject: \"One\"\n"
                + "  2. " + all.get(1).id() + " from <shop@shop.test> to [<b@here.test>], Subject: \"Two\"\n"
                + "No scripted replies.");
    }

    @Test
    void awaitMessagesSaysWhichQueryTimedOut() throws Exception {
        mail.when(Stage.END_OF_DATA).recipient("bob@*").reply("452 4.2.2 Mailbox full");
        catchThrowableOfType(MessagingException.class, () -> Mails.send(mail, "shop@shop.test", "bob@here.test", "Invoice"));
        Mails.send(mail, "shop@shop.test", "ann@here.test", "Invoice");
        CapturedMessage ann = mail.messages().get(0);

        AssertionError failure = catchThrowableOfType(AssertionError.class,
                () -> mail.awaitMessages(MailQuery.any().to("bob@here.test").subject("Invoice"), 1, Duration.ofMillis(200)));

        assertThat(failure).hasMessage("""
                Expected 1 message matching to=bob@here.test subject="Invoice" within 200 ms, but 0 arrived.
                Received:
                  1. %s from <shop@shop.test> to [<ann@here.test>], Subject: "Invoice"
                Scripted replies the client got:
                  (end of data) -> 452 4.2.2 Mailbox full
                    452: %s
                    4.2.2: %s""".formatted(ann.id(), catalogue("452"), catalogue("4.2.2")));
    }

    @Test
    void aFailedTestCarriesTheScriptedRepliesAsASuppressedReport() {
        // The extension's afterEach attaches the report to the failure; here the same text, asked for directly.
        catchThrowableOfType(MessagingException.class,
                () -> Mails.send(mail, "shop@shop.test", "550-5.1.1@fail.test", "Hi"));
        assertThat(Explain.events(mail.scriptedReplies())).isEqualTo("""
                Scripted replies the client got:
                  RCPT TO:<550-5.1.1@fail.test> -> 550 5.1.1 Bad Destination Mailbox Address (address trigger)
                    550: %s
                    5.1.1: %s""".formatted(catalogue("550"), catalogue("5.1.1")));
    }

    /** "Title. Meaning" as the catalogue (codes/lang/en.json) words it. */
    private static String catalogue(String code) {
        var entry = dev.posthorn.codes.Catalogue.load("en").find(code).orElseThrow();
        return entry.title() + ". " + entry.text().meaning();
    }
}
