package com.example.shop;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.junit.PosthornExtension;
import dev.posthorn.testmode.CapturedMessage;
import dev.posthorn.testmode.MailQuery;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Scenario 5: rules from a TOML file (a rate limit, a closed domain), and mail sent in the background waited for
 * with a query and a time-out.
 */
class ScriptFileAndAwaitTest {

    @RegisterExtension
    static PosthornExtension mail = PosthornExtension.start()
            .withScriptFile(Path.of("src/test/resources/limits.toml"));

    @Test
    void backgroundMailIsAwaitedAndTheThirdOneHitsTheRateLimit() {
        Outbox outbox = new Outbox(mail.smtpProperties(), Clock.systemUTC(), Duration.ofMinutes(1));

        CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> {
            outbox.send("ann@customer.example", "Receipt 1", "1");
            outbox.send("ann@customer.example", "Receipt 2", "2");
            outbox.send("ann@customer.example", "Receipt 3", "3");
        });

        List<CapturedMessage> receipts = mail.awaitMessages(
                MailQuery.any().to("ann@customer.example").subjectContains("Receipt"), 2, Duration.ofSeconds(10));
        assertThat(receipts).extracting(CapturedMessage::subject).containsExactly("Receipt 1", "Receipt 2");
        sending.join();
        // The third got 421 4.7.0 and waits in the application's outbox.
        assertThat(outbox.pending()).extracting(Outbox.Pending::subject).containsExactly("Receipt 3");
        assertThat(mail.messages()).hasSize(2);
    }

    @Test
    void aClosedDomainFromTheFileIsRefusedForGood() {
        Outbox outbox = new Outbox(mail.smtpProperties(), Clock.systemUTC(), Duration.ofMinutes(1));
        outbox.send("team@closed.example", "Hello", "Hi");
        assertThat(outbox.bouncing()).containsExactly("team@closed.example");
        assertThat(mail.scriptedReplies().get(0).reply().summary())
                .isEqualTo("550 5.7.1 This domain takes no mail from tests");
    }
}
