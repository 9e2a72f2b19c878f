package dev.posthorn.junit;

import static dev.posthorn.junit.PosthornAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.posthorn.smtp.session.ReplyScript.Stage;
import dev.posthorn.testing.ManualClock;
import jakarta.mail.SendFailedException;
import java.time.Duration;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Stateful rules over time, with a clock the test moves: greylisting, rate limits, fail-N-times-then-accept. */
class StatefulRulesTest {

    static final ManualClock CLOCK = new ManualClock();

    @RegisterExtension
    static PosthornExtension mail = PosthornExtension.start().withClock(CLOCK);

    @Test
    void greylistingRefusesTheFirstAttemptAndEarlyRetriesThenAcceptsAfterThePeriod() throws Exception {
        mail.when(Stage.RCPT).greylist(Duration.ofMinutes(5));

        SMTPAddressFailedException first = refusedRecipient("shop@shop.test", "bob@here.test");
        assertThat(first.getReturnCode()).isEqualTo(451);
        assertThat(first.getMessage()).isEqualTo("451 4.7.1 Greylisted: try again in 300 seconds\n");

        CLOCK.advance(Duration.ofMinutes(2));
        SMTPAddressFailedException early = refusedRecipient("shop@shop.test", "bob@here.test");
        assertThat(early.getMessage()).isEqualTo("451 4.7.1 Greylisted: try again in 180 seconds\n");

        // Another triple is greylisted on its own.
        SMTPAddressFailedException other = refusedRecipient("shop@shop.test", "carol@here.test");
        assertThat(other.getMessage()).isEqualTo("451 4.7.1 Greylisted: try again in 300 seconds\n");

        CLOCK.advance(Duration.ofMinutes(3));
        Mails.send(mail, "shop@shop.test", "bob@here.test", "Finally");
        assertThat(mail).received(1).to("bob@here.test").withSubject("Finally");
    }

    @Test
    void aRateLimitPerSenderClosesWith421PastItsCountAndOpensAgainWhenTheWindowMoves() throws Exception {
        mail.when(Stage.MAIL).rateLimit(2, Duration.ofMinutes(1));

        Mails.send(mail, "news@shop.test", "a@here.test", "1");
        CLOCK.advance(Duration.ofSeconds(10));
        Mails.send(mail, "news@shop.test", "b@here.test", "2");
        SMTPSendFailedException third = (SMTPSendFailedException) Mails.sendCatching(mail, "news@shop.test",
                "c@here.test", "3");
        assertThat(third.getReturnCode()).isEqualTo(421);
        assertThat(third.getMessage())
                .isEqualTo("421 4.7.0 localhost Too many messages from <news@shop.test>, try again later\n");

        // Another sender is not limited by news@'s count.
        Mails.send(mail, "orders@shop.test", "c@here.test", "other sender");

        CLOCK.advance(Duration.ofSeconds(51)); // the first message is now a minute old
        Mails.send(mail, "news@shop.test", "c@here.test", "3 again");
        assertThat(mail).received(4);
    }

    @Test
    void failFirstTimesThenAcceptsPerRecipient() throws Exception {
        mail.when(Stage.RCPT).recipient("flaky@*").failFirst(2, "450 4.2.1 Mailbox busy");

        assertThat(refusedRecipient("shop@shop.test", "flaky@here.test").getMessage())
                .isEqualTo("450 4.2.1 Mailbox busy\n");
        assertThat(refusedRecipient("shop@shop.test", "flaky@here.test").getMessage())
                .isEqualTo("450 4.2.1 Mailbox busy\n");
        Mails.send(mail, "shop@shop.test", "flaky@here.test", "third time");
        Mails.send(mail, "shop@shop.test", "solid@here.test", "never refused");

        assertThat(mail).received(2);
    }

    @Test
    void eachTestStartsWithoutTheRulesAndStateOfTheOthers() throws Exception {
        // The rules of the other tests (greylisting, the rate limit) are gone, and so is their state.
        Mails.send(mail, "news@shop.test", "bob@here.test", "free");
        Mails.send(mail, "news@shop.test", "bob@here.test", "free");
        Mails.send(mail, "news@shop.test", "flaky@here.test", "free");
        assertThat(mail).received(3);
    }

    private static SMTPAddressFailedException refusedRecipient(String from, String to) {
        SendFailedException failure = catchThrowableOfType(SendFailedException.class,
                () -> Mails.send(mail, from, to, "attempt"));
        return (SMTPAddressFailedException) failure.getNextException();
    }
}
