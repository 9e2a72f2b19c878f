package dev.posthorn.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/**
 * The queue in PostgreSQL against a real PostgreSQL, two nodes on one database: one claimant per message,
 * a lease that expires hands the message to the other node and fences the first one's writes, content of
 * several chunks comes back byte for byte, a held message is not claimed, a retry makes it due.
 */
class PgQueueStoreTest extends PgQueueNodes {

    @Test
    void aMessageIsClaimedByOneNodeAtATimeAndAnExpiredLeaseFencesTheFirstNode() throws Exception {
        PgQueueStore a = store(dbA, Duration.ofSeconds(60));
        PgQueueStore b = store(dbB, Duration.ofSeconds(60));
        accept(a, envelope("M1", 5, "x@remote.test"), "Hi\r\n\r".getBytes());

        List<QueuedMessage> claimedByA = a.claimDue(Instant.now(), 10);
        assertThat(claimedByA).extracting(QueuedMessage::id).containsExactly("M1");
        assertThat(b.claimDue(Instant.now(), 10)).as("leased by A").isEmpty();

        // A's lease runs out (A does not renew here): the database's clock is past it.
        execute("UPDATE queue_messages SET lease_until = now() - interval '1 second' WHERE id = 'M1'");
        List<QueuedMessage> claimedByB = b.claimDue(Instant.now(), 10);
        assertThat(claimedByB).extracting(QueuedMessage::id).containsExactly("M1");
        assertThat(claimedByB.get(0).recovered).as("a claim that expired: an attempt may have been under way").isTrue();

        QueuedMessage mA = claimedByA.get(0);
        synchronized (mA) {
            mA.state().recipients.get(0).status = RecipientStatus.DELIVERED;
            assertThatThrownBy(() -> a.save(mA).get()).as("A's save after B took over").isInstanceOf(ExecutionException.class);
            assertThatThrownBy(() -> a.finish(mA).get()).isInstanceOf(ExecutionException.class);
        }
        assertThat(rows("SELECT count(*) FROM queue_messages WHERE id = 'M1'")).as("A deleted nothing").isEqualTo(1);

        QueuedMessage mB = claimedByB.get(0);
        synchronized (mB) {
            mB.state().recipients.get(0).status = RecipientStatus.DELIVERED;
            b.finish(mB).get();
        }
        assertThat(rows("SELECT count(*) FROM queue_messages")).isZero();
        assertThat(rows("SELECT count(*) FROM queue_content")).as("content goes with the message").isZero();
    }

    @Test
    void aRenewalPushesTheExpiryOfTheOwnersLeaseOnly() throws Exception {
        PgQueueStore a = store(dbA, Duration.ofSeconds(60));
        PgQueueStore b = store(dbB, Duration.ofSeconds(60));
        accept(a, envelope("M7", 3, "x@remote.test"), "a\r\n".getBytes());
        assertThat(a.claimDue(Instant.now(), 10)).hasSize(1);
        // About to expire...
        execute("UPDATE queue_messages SET lease_until = now() + interval '1 second' WHERE id = 'M7'");
        b.renew(); // B holds nothing: renews nothing
        assertThat(rows("SELECT count(*) FROM queue_messages WHERE lease_until > now() + interval '30 seconds'"))
                .isZero();
        a.renew(); // ...renewed by its owner for a whole lease again
        assertThat(rows("SELECT count(*) FROM queue_messages WHERE lease_owner = 'node-a'"
                + " AND lease_until > now() + interval '30 seconds'")).isEqualTo(1);
        Thread.sleep(1100);
        assertThat(b.claimDue(Instant.now(), 10)).as("renewed by A").isEmpty();
    }

    @Test
    void aDeferredRecipientWaitsForItsTimeAndTheReleasedMessageIsDueThenOnAnyNode() throws Exception {
        PgQueueStore a = store(dbA, Duration.ofSeconds(30));
        PgQueueStore b = store(dbB, Duration.ofSeconds(30));
        accept(a, envelope("M2", 3, "x@remote.test", "y@remote.test"), "a\r\n".getBytes());
        QueuedMessage m = a.claimDue(Instant.now(), 10).get(0);
        Instant later = Instant.now().plusSeconds(600);
        synchronized (m) {
            m.state().recipients.get(0).status = RecipientStatus.DELIVERED;
            m.state().recipients.get(1).status = RecipientStatus.DEFERRED;
            m.state().recipients.get(1).nextAttempt = later;
            a.save(m).get();
        }
        a.release(m);
        assertThat(b.claimDue(Instant.now(), 10)).as("not due yet").isEmpty();
        List<QueuedMessage> due = b.claimDue(later.plusSeconds(1), 10);
        assertThat(due).hasSize(1);
        MessageState state = due.get(0).state();
        assertThat(state.byIndex(0).status).isEqualTo(RecipientStatus.DELIVERED);
        assertThat(state.byIndex(1).status).isEqualTo(RecipientStatus.DEFERRED);
        assertThat(due.get(0).recovered).as("released normally: nothing was under way").isFalse();
    }

    @Test
    void contentOfSeveralChunksComesBackByteForByte() throws Exception {
        PgQueueStore a = store(dbA, Duration.ofSeconds(30));
        byte[] content = new byte[PgQueueStore.CHUNK * 2 + 12345];
        new Random(7).nextBytes(content);
        accept(a, envelope("M3", content.length, "x@remote.test"), content);
        assertThat(rows("SELECT count(*) FROM queue_content WHERE message_id = 'M3'")).isEqualTo(3);
        a.claimDue(Instant.now(), 10);
        try (InputStream in = a.content("M3").open()) {
            assertThat(in.readAllBytes()).isEqualTo(content);
        }
        assertThat(a.content("M3").size()).isEqualTo(content.length);
    }

    @Test
    void aHeldMessageIsNotClaimedAndARetryMakesItsWaitingRecipientsDue() throws Exception {
        PgQueueStore a = store(dbA, Duration.ofSeconds(30));
        accept(a, envelope("M4", 3, "x@remote.test"), "a\r\n".getBytes());
        QueuedMessage m = a.claimDue(Instant.now(), 10).get(0);
        synchronized (m) {
            m.state().recipients.get(0).status = RecipientStatus.DEFERRED;
            m.state().recipients.get(0).nextAttempt = Instant.now().plusSeconds(3600);
            a.save(m).get();
        }
        a.release(m);
        execute("UPDATE queue_messages SET held = true, retry_requested = true, next_due = now() WHERE id = 'M4'");
        assertThat(a.claimDue(Instant.now(), 10)).as("held").isEmpty();
        execute("UPDATE queue_messages SET held = false WHERE id = 'M4'");
        QueuedMessage again = a.claimDue(Instant.now(), 10).get(0);
        assertThat(again.state().recipients.get(0).nextAttempt).isBeforeOrEqualTo(Instant.now());
    }

    @Test
    void aRestartEndsOnlyItsOwnNodesClaims() throws Exception {
        PgQueueStore a = store(dbA, Duration.ofSeconds(300));
        PgQueueStore b = store(dbB, Duration.ofSeconds(300));
        accept(a, envelope("M5", 3, "x@remote.test"), "a\r\n".getBytes());
        accept(a, envelope("M6", 3, "x@remote.test"), "a\r\n".getBytes());
        assertThat(a.claimDue(Instant.now(), 1)).hasSize(1);
        assertThat(b.claimDue(Instant.now(), 1)).hasSize(1);
        PgQueueStore restartedA = store(dbA, Duration.ofSeconds(300));
        restartedA.open();
        try {
            List<QueuedMessage> reclaimed = restartedA.claimDue(Instant.now(), 10);
            assertThat(reclaimed).as("A's own claim only; B's stays B's").hasSize(1);
            assertThat(reclaimed.get(0).recovered).isTrue();
        } finally {
            restartedA.close();
        }
    }
}
