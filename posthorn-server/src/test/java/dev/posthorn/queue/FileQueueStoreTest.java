package dev.posthorn.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.spool.Envelope;
import dev.posthorn.spool.EnvelopeCodec;
import dev.posthorn.spool.EnvelopeRecipient;
import dev.posthorn.spool.Spool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The files store at start-up: what an earlier run left, in today's format or the outbound-only one before it. */
class FileQueueStoreTest {

    @TempDir
    Path queue;

    @Test
    void aStateFromBeforeTheOneQueueKeepsItsRemoteHistoryAndGainsItsLocalRecipients() throws Exception {
        Envelope envelope = new Envelope("MSGOLD1", Instant.parse("2026-11-30T10:00:00Z"), "alice@posthorn.test",
                List.of(new EnvelopeRecipient("bob@posthorn.test", Set.of(), null, true),
                        new EnvelopeRecipient("carol@remote.test", Set.of(), null, false)),
                "7BIT", false, null, null, null, "127.0.0.1", "client.test", 20);
        Files.write(queue.resolve("MSGOLD1.env"), EnvelopeCodec.encode(envelope));
        Files.writeString(queue.resolve("MSGOLD1.msg"), "Subject: old\r\n\r\nbody\r\n");
        // The outbound scheduler's <id>.state: remote recipients only, no index, no destination.
        Files.writeString(queue.resolve("MSGOLD1.state"), """
                {"id":"MSGOLD1","recipients":[{"address":"carol@remote.test","status":"DELIVERED","nextAttempt":null,
                "delayNoticeSent":false,"attempts":[{"at":"2026-11-30T10:00:05Z","remoteHost":"[127.0.0.1]:2526",
                "code":250,"enhanced":"2.0.0","reply":["2.0.0 Ok"],"explanation":"ok","outcome":"delivered"}]}]}
                """);
        try (FileQueueStore store = new FileQueueStore(new Spool(queue), Clock.systemUTC())) {
            QueuedMessage message = store.get("MSGOLD1");
            MessageState state = message.snapshot();
            RecipientState bob = state.byIndex(0);
            RecipientState carol = state.byIndex(1);
            assertThat(bob.address).isEqualTo("bob@posthorn.test");
            assertThat(bob.local).isTrue();
            assertThat(bob.status).isEqualTo(RecipientStatus.QUEUED);
            assertThat(carol.address).isEqualTo("carol@remote.test");
            assertThat(carol.status).as("delivered before the upgrade: never again").isEqualTo(RecipientStatus.DELIVERED);
            assertThat(carol.attempts).hasSize(1);
            // Only Bob is due.
            List<QueuedMessage> due = store.claimDue(Instant.now(), 10);
            assertThat(due).containsExactly(message);
            store.release(message);
        }
    }
}
