package dev.posthorn.junit;

import static dev.posthorn.junit.PosthornAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.posthorn.smtp.session.ReplyScript.Stage;
import dev.posthorn.testmode.MailQuery;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.MimeMessage;
import java.time.Duration;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.eclipse.angus.mail.smtp.SMTPTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Each scripted failure reaches an Angus Mail client as exactly the reply scripted: code, enhanced code, text.
 * One server for the class; every test starts with an empty mailbox and only the class's own rules.
 */
class ScriptedFailuresTest {

    @RegisterExtension
    static PosthornExtension mail = PosthornExtension.start().withSubmission().withUser("app@shop.test", "s3cret");

    @Test
    void anAddressTriggerGetsExactlyItsReplyWithTheCataloguesText() {
        SendFailedException failure = catchThrowableOfType(SendFailedException.class,
                () -> Mails.send(mail, "shop@shop.test", "451-4.7.1@fail.test", "Your order"));

        SMTPAddressFailedException refused = (SMTPAddressFailedException) failure.getNextException();
        assertThat(refused.getReturnCode()).isEqualTo(451);
        assertThat(refused.getAddress().getAddress()).isEqualTo("451-4.7.1@fail.test");
        assertThat(refused.getMessage()).isEqualTo("451 4.7.1 Delivery Not Authorized, Message Refused\n");
        assertThat(mail).receivedNothing();
    }

    @Test
    void aBasicCodeTriggerWithoutEnhancedCodeTakesTheBasicCodesTitle() {
        SendFailedException failure = catchThrowableOfType(SendFailedException.class,
                () -> Mails.send(mail, "shop@shop.test", "552@fail.test", "Your order"));

        SMTPAddressFailedException refused = (SMTPAddressFailedException) failure.getNextException();
        assertThat(refused.getReturnCode()).isEqualTo(552);
        assertThat(refused.getMessage()).startsWith("552 ").doesNotContain("5.");
    }

    @Test
    void aRecipientRuleInCodeRefusesOnlyTheMatchingRecipientAndTheOthersGetTheMail() throws Exception {
        mail.when(Stage.RCPT).recipient("*@gone.test").reply("550 5.1.1 No such mailbox here");
        Session session = Session.getInstance(mail.smtpProperties());
        MimeMessage message = Mails.message(session, "shop@shop.test", "ann@gone.test, bob@here.test", "Hi", "text");
        session.getProperties().put("mail.smtp.sendpartial", "true");

        SendFailedException failure = catchThrowableOfType(SendFailedException.class, () -> Transport.send(message));

        SMTPAddressFailedException refused = (SMTPAddressFailedException) failure.getNextException();
        assertThat(refused.getReturnCode()).isEqualTo(550);
        assertThat(refused.getMessage()).isEqualTo("550 5.1.1 No such mailbox here\n");
        assertThat(mail).received(1).to("bob@here.test").withSubject("Hi");
        assertThat(mail.messages().get(0).envelopeRecipients()).containsExactly("bob@here.test");
    }

    @Test
    void aSenderRuleRefusesMailFrom() {
        mail.when(Stage.MAIL).sender("spammer@*").reply("550 5.7.1");

        SMTPSendFailedException failure = catchThrowableOfType(SMTPSendFailedException.class,
                () -> Mails.send(mail, "spammer@shop.test", "bob@here.test", "Hi"));

        assertThat(failure.getReturnCode()).isEqualTo(550);
        assertThat(failure.getMessage()).isEqualTo("550 5.7.1 Delivery Not Authorized, Message Refused\n");
    }

    @Test
    void aRefusalAtConnectReachesTheClient() {
        mail.when(Stage.CONNECT).reply("421 4.3.2 Maintenance, come back later");

        MessagingException failure = catchThrowableOfType(MessagingException.class,
                () -> Mails.send(mail, "shop@shop.test", "bob@here.test", "Hi"));

        assertThat(failure.getMessage()).contains("421 4.3.2 Maintenance, come back later");
        assertThat(mail).receivedNothing();
    }

    @Test
    void aRefusalAtEndOfDataMeansTheMessageWasNotTaken() {
        mail.when(Stage.END_OF_DATA).recipient("bob@*").reply("552 5.3.4 Too big for bob");

        SMTPSendFailedException failure = catchThrowableOfType(SMTPSendFailedException.class,
                () -> Mails.send(mail, "shop@shop.test", "bob@here.test", "Hi"));

        assertThat(failure.getReturnCode()).isEqualTo(552);
        assertThat(failure.getMessage()).isEqualTo("552 5.3.4 Too big for bob\n");
        assertThat(mail).receivedNothing();
    }

    @Test
    void aRefusalOfDataItself() {
        mail.when(Stage.DATA).reply("554 5.5.1");

        SMTPSendFailedException failure = catchThrowableOfType(SMTPSendFailedException.class,
                () -> Mails.send(mail, "shop@shop.test", "bob@here.test", "Hi"));

        assertThat(failure.getReturnCode()).isEqualTo(554);
        assertThat(failure.getMessage()).startsWith("554 5.5.1 ");
    }

    @Test
    void aScriptedPositiveReplyReplacesTheTextOfTheServersOwn() throws Exception {
        mail.when(Stage.END_OF_DATA).reply("250 2.0.0 Ok: queued as ABC123");
        Session session = Session.getInstance(mail.smtpProperties());
        try (SMTPTransport transport = (SMTPTransport) session.getTransport("smtp")) {
            transport.connect();
            MimeMessage message = Mails.message(session, "shop@shop.test", "bob@here.test", "Hi", "text");
            transport.sendMessage(message, message.getAllRecipients());
            assertThat(transport.getLastServerResponse()).isEqualTo("250 2.0.0 Ok: queued as ABC123\n");
        }
        assertThat(mail).received(1);
    }

    @Test
    void aDroppedConnectionDuringDataLosesTheMessageAndTheClientKnows() {
        mail.when(Stage.DATA).drop();

        MessagingException failure = catchThrowableOfType(MessagingException.class,
                () -> Mails.send(mail, "shop@shop.test", "bob@here.test", "Hi"));

        assertThat(failure).isNotNull();
        assertThat(mail).receivedNothing();
        assertThat(mail.scriptedReplies()).singleElement().satisfies(e -> assertThat(e.describe())
                .containsExactly("DATA -> 354 sent, then the connection was dropped during the content"));
    }

    @Test
    void aSlowReplyIsSlow() throws Exception {
        mail.when(Stage.END_OF_DATA).delay(Duration.ofMillis(600));
        long start = System.nanoTime();
        Mails.send(mail, "shop@shop.test", "bob@here.test", "Hi");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(600));
        assertThat(mail).received(1);
    }

    @Test
    void submissionWithStartTlsAndAuthThroughTheHandedOutSslContext() throws Exception {
        Session session = Mails.submission(mail, "app@shop.test", "s3cret");
        Transport.send(Mails.message(session, "noreply@shop.test", "carol@example.test", "Welcome", "Hi Carol"));

        var message = mail.awaitMessage(MailQuery.any().to("carol@example.test"), Duration.ofSeconds(5));
        assertThat(message.authenticatedUser()).isEqualTo("app@shop.test");
        assertThat(message.header("Received").get(0)).contains("ESMTPSA");
        assertThat(message.text()).isEqualTo("Hi Carol");
    }

    @Test
    void aScriptedAuthFailure() {
        mail.when(Stage.AUTH).reply("535 5.7.8 Authentication credentials invalid");
        Session session = Mails.submission(mail, "app@shop.test", "s3cret");

        AuthenticationFailedException failure = catchThrowableOfType(AuthenticationFailedException.class,
                () -> Transport.send(Mails.message(session, "noreply@shop.test", "bob@here.test", "Hi", "text")));

        assertThat(failure.getMessage()).isEqualTo("535 5.7.8 Authentication credentials invalid\n");
    }

    @Test
    void aScriptedStartTlsRefusalStopsAClientThatRequiresTls() {
        mail.when(Stage.STARTTLS).reply("454 4.7.0 TLS not available due to temporary reason");
        Session session = Mails.submission(mail, "app@shop.test", "s3cret");

        MessagingException failure = catchThrowableOfType(MessagingException.class,
                () -> Transport.send(Mails.message(session, "noreply@shop.test", "bob@here.test", "Hi", "text")));

        assertThat(failure.getMessage()).contains("454 4.7.0 TLS not available due to temporary reason");
    }
}
