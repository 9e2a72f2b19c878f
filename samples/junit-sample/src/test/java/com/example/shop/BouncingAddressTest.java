package com.example.shop;

import static dev.posthorn.junit.PosthornAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.junit.PosthornExtension;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Scenario 4: failures chosen by the recipient address, no code needed. {@code 550-5.1.1@fail.test} is refused
 * for good, {@code 451-4.3.0@fail.test} for now: the application must tell them apart.
 */
class BouncingAddressTest {

    @RegisterExtension
    static PosthornExtension mail = PosthornExtension.start();

    @Test
    void aPermanentRefusalMarksTheAddressAndATemporaryOneKeepsTheMessage() {
        Outbox outbox = new Outbox(mail.smtpProperties(), Clock.systemUTC(), Duration.ofMinutes(5));

        outbox.send("550-5.1.1@fail.test", "Newsletter", "News.");
        outbox.send("451-4.3.0@fail.test", "Newsletter", "News.");

        assertThat(outbox.bouncing()).containsExactly("550-5.1.1@fail.test");
        assertThat(outbox.pending()).extracting(Outbox.Pending::to).containsExactly("451-4.3.0@fail.test");
        assertThat(mail).receivedNothing();
    }
}
