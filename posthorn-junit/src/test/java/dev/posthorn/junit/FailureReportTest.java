package dev.posthorn.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import jakarta.mail.MessagingException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineTestKit;

/**
 * A test that fails for any reason after its application met a scripted refusal carries the refusal, explained:
 * run through the JUnit engine as a user's test runs.
 */
class FailureReportTest {

    @Test
    void aFailedTestCarriesTheScriptedRepliesItsApplicationMet() {
        Throwable failure = EngineTestKit.engine("junit-jupiter").selectors(selectClass(FailingScenario.class))
                .execute().testEvents().failed().stream().findFirst().orElseThrow()
                .getRequiredPayload(TestExecutionResult.class).getThrowable().orElseThrow();

        assertThat(failure).hasMessage("the application should have sent the mail");
        assertThat(failure.getSuppressed()).singleElement().satisfies(report -> assertThat(report.getMessage())
                .isEqualTo("""
                        Scripted replies the client got:
                          RCPT TO:<550-5.1.1@fail.test> -> 550 5.1.1 Bad Destination Mailbox Address (address trigger)
                            550: %s
                            5.1.1: %s""".formatted(catalogue("550"), catalogue("5.1.1"))));
    }

    @Test
    void aFailedTestWithoutScriptedRepliesCarriesNoReport() {
        Throwable failure = EngineTestKit.engine("junit-jupiter").selectors(selectClass(FailingQuietly.class))
                .execute().testEvents().failed().stream().findFirst().orElseThrow()
                .getRequiredPayload(TestExecutionResult.class).getThrowable().orElseThrow();

        assertThat(failure.getSuppressed()).isEmpty();
    }

    private static String catalogue(String code) {
        var entry = dev.posthorn.codes.Catalogue.load("en").find(code).orElseThrow();
        return entry.title() + ". " + entry.text().meaning();
    }

    /** Run only through the engine above (nested classes are not picked up by Surefire). */
    static class FailingScenario {
        @RegisterExtension
        static PosthornExtension mail = PosthornExtension.start();

        @Test
        void sends() {
            try {
                Mails.send(mail, "shop@shop.test", "550-5.1.1@fail.test", "Hi");
            } catch (MessagingException refused) {
                // the application swallowed it
            }
            throw new AssertionError("the application should have sent the mail");
        }
    }

    static class FailingQuietly {
        @RegisterExtension
        PosthornExtension mail = PosthornExtension.start(); // instance field: a server for this test only

        @Test
        void fails() throws Exception {
            Mails.send(mail, "shop@shop.test", "bob@here.test", "Hi");
            throw new AssertionError("no scripted replies here");
        }
    }
}
