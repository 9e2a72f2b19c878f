package com.example.shop;

import static dev.posthorn.junit.PosthornAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.junit.PosthornExtension;
import dev.posthorn.smtp.session.ReplyScript.Stage;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Scenario 3: a retrying client against greylisting. The first attempt gets 451 4.7.1; the application keeps the
 * message; a retry before five minutes is refused again, one after is accepted. One clock for both: no waiting.
 */
class GreylistingRetryTest {

    static final TestClock CLOCK = new TestClock();

    @RegisterExtension
    static PosthornExtension mail = PosthornExtension.start().withClock(CLOCK)
            .withScript(script -> script.at(Stage.RCPT).greylist(Duration.ofMinutes(5)));

    @Test
    void theOutboxRetriesUntilTheGreylistLetsItThrough() {
        Outbox outbox = new Outbox(mail.smtpProperties(), CLOCK, Duration.ofMinutes(3));

        outbox.send("bob@customer.example", "Your invoice", "Attached.");
        assertThat(outbox.pending()).hasSize(1);
        assertThat(mail.scriptedReplies().get(0).reply().summary())
                .isEqualTo("451 4.7.1 Greylisted: try again in 300 seconds");

        CLOCK.advance(Duration.ofMinutes(3));
        outbox.retryDue(); // three minutes: still greylisted
        assertThat(outbox.pending()).hasSize(1);
        assertThat(mail).receivedNothing();

        CLOCK.advance(Duration.ofMinutes(3));
        outbox.retryDue(); // six minutes: through
        assertThat(outbox.pending()).isEmpty();
        assertThat(mail).received(1).to("bob@customer.example").withSubject("Your invoice");
    }
}
