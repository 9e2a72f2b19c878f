package dev.posthorn.spool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.store.UserStore;
import dev.posthorn.testing.RunningServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A failure notice that cannot be queued at the moment a recipient expires is logged and dropped: the recipient
 * is recorded as expired, the message leaves the queue, and the sender never hears of it.
 */
@Timeout(90)
class FailureNoticeRetryTest {

    @TempDir
    Path data;

    @AfterEach
    void healthy() {
        Journal.fault = null;
    }

    @Test
    void theSenderIsToldEvenWhenTheJournalHiccupsAtTheGiveUp() throws Exception {
        UserStore users = UserStore.open(data);
        users.add("alice@posthorn.test", "wonderland".toCharArray());
        users.add("bob@posthorn.test", "builder".toCharArray());
        Path bobsMailbox = Files.createDirectories(data.resolve("mail/posthorn.test")).resolve("bob");
        Files.writeString(bobsMailbox, "not a directory");
        try (RunningServer server = RunningServer.start(data, c -> {
            c.queue.retryIntervalsSeconds = new ArrayList<>(List.of(1L));
            c.queue.delayNoticeAfterSeconds = 3600;
            c.queue.giveUpAfterSeconds = 3;
            c.queue.sweepIntervalSeconds = 0.2;
        })) {
            String id = server.server().enqueue("alice@posthorn.test", List.of("bob@posthorn.test"),
                    "Subject: doomed\r\n\r\nbody\r\n".getBytes());
            Thread.sleep(1500); // first attempt deferred and recorded
            Journal.fault = () -> {
                throw new IOException("injected: a journal hiccup around the give-up time");
            };
            Thread.sleep(4000); // the give-up attempt happens now
            Journal.fault = null;
            long deadline = System.currentTimeMillis() + 20_000;
            while (server.server().queue().get(id) != null && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
            assertThat(server.server().queue().get(id)).as("the message left the queue").isNull();
            Thread.sleep(3000);
            assertThat(server.messages("alice@posthorn.test")).as("failure notices to the sender").isNotEmpty();
        }
    }
}
