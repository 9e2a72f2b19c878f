package dev.posthorn.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A message's state is saved whole after every attempt, so it must have a bound however long it waits and however
 * much a server says (finding 12b of the review of issue 9: a state could grow until it could never be saved).
 */
class StateBoundTest {

    @Test
    void aRecipientsHistoryKeepsTheFirstAndTheLatestAttemptsAndTheirCount() {
        MessageState state = new MessageState("MXQID1");
        for (int i = 0; i < 100; i++) {
            state.recipients.add(new RecipientState("r" + i + "@remote.test", i, false, Instant.EPOCH));
        }
        // A chatty server: 1,000 reply lines of 2,000 characters, at every one of 500 attempts.
        List<String> pages = Collections.nCopies(1000, "x".repeat(2000));
        for (RecipientState r : state.recipients) {
            for (int n = 0; n < 500; n++) {
                r.addAttempt(new Attempt(Instant.EPOCH.plusSeconds(n), "mx:remote.test", "[192.0.2.1]:25", 451, "4.3.0",
                        pages, "e".repeat(5000), "deferred"));
            }
        }
        RecipientState r = state.recipients.get(0);
        assertThat(r.attempts).hasSize(1 + RecipientState.LATEST_ATTEMPTS);
        assertThat(r.attempts.get(0).at()).as("the first attempt, when the trouble began").isEqualTo(Instant.EPOCH);
        assertThat(r.lastAttempt().at()).isEqualTo(Instant.EPOCH.plusSeconds(499));
        assertThat(r.attemptsMade()).as("the retry schedule's position").isEqualTo(500);
        assertThat(r.lastAttempt().reply()).hasSize(RecipientState.REPLY_LINES);
        // Worst case: 100 recipients x 11 attempts x (10 lines + an explanation) of 512 characters, about 6 MB;
        // unbounded, this state would have been 100 GB.
        assertThat(StateFile.encode(state).length).as("the saved state, in octets").isLessThan(8 * 1024 * 1024);
    }
}
