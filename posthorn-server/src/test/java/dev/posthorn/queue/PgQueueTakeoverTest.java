package dev.posthorn.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.config.PosthornConfig;
import dev.posthorn.delivery.CatalogueExplainer;
import dev.posthorn.delivery.LocalDelivery;
import dev.posthorn.delivery.dsn.DsnBuilder;
import dev.posthorn.delivery.remote.ClientSettings;
import dev.posthorn.delivery.remote.MxResolver;
import dev.posthorn.delivery.remote.Router;
import dev.posthorn.delivery.target.DeliveryTargets;
import dev.posthorn.store.StoreConfig;
import dev.posthorn.store.pg.PgDatabase;
import dev.posthorn.testing.PostgresServer;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The queue in PostgreSQL: what a node that dies, or a busy node, or a set-aside row must not lose. */
class PgQueueTakeoverTest extends PgQueueNodes {

    /**
     * The recipient bounced, its FAILED notice could not be queued yet (the sweep would send it), the
     * state is saved with next_due NULL; the node dies (or restarts). No node ever claims the row again: the
     * sender is never told, the row stays forever.
     */
    @Test
    void aMessageWaitingOnlyForItsBounceIsTakenOverWhenItsNodeDies() throws Exception {
        PgQueueStore a = store(dbA, Duration.ofSeconds(60));
        PgQueueStore b = store(dbB, Duration.ofSeconds(60));
        accept(a, envelope("N1", "x@remote.test"));
        QueuedMessage m = a.claimDue(Instant.now(), 10).get(0);
        synchronized (m) {
            RecipientState r = m.state().recipients.get(0);
            r.status = RecipientStatus.BOUNCED;
            r.nextAttempt = null;
            r.noticePending = DsnBuilder.Kind.FAILED; // Notices.send returned false (submit failed)
            a.save(m).get(); // what Scheduler.recordOutcomes does
        }
        a.release(m); // returns early: "the sweep saves it" -- node A now dies before its sweep succeeds
        assertThat(rows("SELECT count(*) FROM queue_messages WHERE id = 'N1' AND next_due IS NULL")).as("never due again").isZero();
        execute("UPDATE queue_messages SET lease_until = now() - interval '1 second' WHERE id = 'N1'");

        PgQueueStore restartedA = store(dbA, Duration.ofSeconds(60));
        restartedA.open();
        try {
            List<QueuedMessage> claimed = new ArrayList<>(b.claimDue(Instant.now().plus(Duration.ofDays(30)), 10));
            claimed.addAll(restartedA.claimDue(Instant.now().plus(Duration.ofDays(30)), 10));
            assertThat(claimed).as("someone must take over N1 and send its bounce").extracting(QueuedMessage::id)
                    .containsExactly("N1");
        } finally {
            restartedA.close();
        }
    }

    /**
     * The same message taken over by a running scheduler: the node that claims it sends the bounce the dead node
     * could not queue, to the sender, and then ends the message (no row is left).
     */
    @Test
    void theNodeThatTakesOverAMessageWaitingForItsBounceSendsItAndEndsIt() throws Exception {
        PgQueueStore a = store(dbA, Duration.ofSeconds(60));
        accept(a, envelope("N2", "x@remote.test"));
        QueuedMessage m = a.claimDue(Instant.now(), 10).get(0);
        synchronized (m) {
            RecipientState r = m.state().recipients.get(0);
            r.status = RecipientStatus.BOUNCED;
            r.nextAttempt = null;
            r.addAttempt(new Attempt(Instant.now(), "mx:remote.test", "192.0.2.1:25", 550, "5.1.1",
                    List.of("no such user"), "The mailbox does not exist.", "bounced"));
            r.noticePending = DsnBuilder.Kind.FAILED;
            a.save(m).get();
        }
        a.release(m); // node A dies before its sweep queues the bounce
        execute("UPDATE queue_messages SET lease_until = now() - interval '1 second' WHERE id = 'N2'");

        PosthornConfig c = new PosthornConfig();
        c.queue.sweepIntervalSeconds = 0.2;
        CatalogueExplainer explainer = new CatalogueExplainer();
        DeliveryTargets targets = new DeliveryTargets(c.delivery, new LocalDelivery(dir.resolve("mail"), "mx.test",
                x -> x), new Router(c.routes, c.relay, c.queue, 25), MxResolver.from(c.dns),
                ClientSettings.from("mx.test", c.queue), c.queue, (message, content) -> content, null);
        java.util.concurrent.BlockingQueue<String> bounces = new java.util.concurrent.LinkedBlockingQueue<>();
        PgQueueStore b = store(dbB, Duration.ofSeconds(60));
        b.open();
        try (Scheduler scheduler = new Scheduler(b, targets, c.queue, new DsnBuilder(explainer, ZoneId.of("UTC")),
                "mx.test", (rcpt, msg, eightBit) -> bounces.add(rcpt), explainer, Clock.systemUTC())) {
            scheduler.start();
            assertThat(bounces.poll(15, TimeUnit.SECONDS)).as("the bounce, queued by node B").isEqualTo(
                    "alice@posthorn.test");
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (rows("SELECT count(*) FROM queue_messages WHERE id = 'N2'") > 0 && System.nanoTime() < until) {
                Thread.sleep(50);
            }
            assertThat(rows("SELECT count(*) FROM queue_messages WHERE id = 'N2'")).as("N2 ended").isZero();
            assertThat(bounces).as("one bounce only").isEmpty();
        } finally {
            b.close();
        }
    }

    /**
     * The lease renewer shares the node's pool with every session's acceptance. While the pool is
     * busy (sessions committing big messages, a slow database) the renewal times out, is retried only a third of
     * a lease later, and the lease of a message this LIVE node is delivering expires: the other node claims it.
     */
    @Test
    void aBusyPoolDoesNotLetTheLeaseOfAMessageBeingDeliveredExpire() throws Exception {
        StoreConfig small = PostgresServer.shared().newStoreConfig();
        small.poolSize = 2;
        small.connectTimeoutSeconds = 1;
        try (PgDatabase smallA = PgDatabase.open(small, "node-a"); PgDatabase smallB = PgDatabase.open(small, "node-b")) {
            PgQueueStore a = new PgQueueStore(smallA, Clock.systemUTC(), Duration.ofSeconds(3), Duration.ofMillis(100),
                    dir.resolve("a"));
            PgQueueStore b = new PgQueueStore(smallB, Clock.systemUTC(), Duration.ofSeconds(3), Duration.ofMillis(100),
                    dir.resolve("b"));
            a.open(); // renews every second
            try {
                accept(a, envelope("L1", "x@remote.test"));
                assertThat(a.claimDue(Instant.now(), 10)).hasSize(1); // A is delivering L1 now
                // Two sessions commit big messages: both pool connections busy for 5 s.
                CountDownLatch done = new CountDownLatch(2);
                for (int i = 0; i < 2; i++) {
                    Thread.ofPlatform().start(() -> {
                        smallA.read(c -> {
                            try (Statement s = c.createStatement()) {
                                s.execute("SELECT pg_sleep(5)");
                            }
                            return null;
                        });
                        done.countDown();
                    });
                }
                Thread.sleep(4500);
                List<QueuedMessage> stolen = b.claimDue(Instant.now(), 10);
                done.await();
                assertThat(a.leasedIds()).as("A still delivers L1").contains("L1");
                assertThat(stolen).as("B claims L1 while live node A delivers it: a second delivery").isEmpty();
            } finally {
                a.close();
            }
        }
    }

    /**
     * posthorn queue hold on a message this node has claimed (its jobs waiting in a lane): the next renewal reads
     * the held flag into the claimed state, which Scheduler.run checks before each attempt. Before, held was read
     * only at the claim, and the message was attempted anyway.
     */
    @Test
    void aHoldOnAClaimedMessageReachesItsStateAtTheNextRenewal() throws Exception {
        PgQueueStore a = store(dbA, Duration.ofSeconds(60));
        accept(a, envelope("H1", "x@remote.test"));
        QueuedMessage m = a.claimDue(Instant.now(), 10).get(0);
        QueueActions.Result held = PgQueueAdmin.apply(dbA, new QueueActions.Request(QueueActions.Verb.HOLD,
                new QueueSelector(List.of("H1"), false, null, null, null, null), false), Clock.systemUTC());
        assertThat(held.unknown()).isEmpty();
        a.renew();
        synchronized (m) {
            assertThat(m.state().held).as("the claimed message knows it is held").isTrue();
        }
    }

    /**
     * A row whose state cannot be read is set aside (held) by the claiming node, and then
     * posthorn queue list lists it apart with its parse error, and delete by id removes it (before: invisible,
     * and "no message").
     */
    @Test
    void aSetAsideRowIsListedAndCanBeDeleted() throws Exception {
        PgQueueStore a = store(dbA, Duration.ofSeconds(60));
        accept(a, envelope("S1", "x@remote.test"));
        execute("UPDATE queue_messages SET state = '{not json' WHERE id = 'S1'");
        assertThat(a.claimDue(Instant.now(), 10)).isEmpty();
        assertThat(rows("SELECT count(*) FROM queue_messages WHERE id = 'S1' AND held")).isEqualTo(1);

        QueueView view = PgQueueAdmin.view(dbA, null);
        assertThat(view.total()).isEqualTo(1);
        assertThat(PgQueueAdmin.setAside(dbA)).as("listed, with why").singleElement()
                .satisfies(x -> assertThat(x.id()).isEqualTo("S1"))
                .satisfies(x -> assertThat(x.reason()).contains("JsonParseException"));
        QueueActions.Result deleted = PgQueueAdmin.apply(dbA, new QueueActions.Request(QueueActions.Verb.DELETE,
                new QueueSelector(List.of("S1"), false, null, null, null, null), false), Clock.systemUTC());
        assertThat(deleted.unknown()).as("delete S1 finds it").isEmpty();
        assertThat(deleted.ids()).containsExactly("S1");
        assertThat(deleted.setAside()).containsExactly("S1");
        assertThat(rows("SELECT count(*) FROM queue_messages WHERE id = 'S1'")).isZero();
    }
}
