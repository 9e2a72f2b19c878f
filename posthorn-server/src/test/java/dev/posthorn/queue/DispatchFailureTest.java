package dev.posthorn.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.config.PosthornConfig;
import dev.posthorn.delivery.CatalogueExplainer;
import dev.posthorn.delivery.dsn.DsnBuilder;
import dev.posthorn.delivery.fixtures.ScriptedSmtpPeer;
import dev.posthorn.delivery.target.DeliveryTargets;
import dev.posthorn.spool.Envelope;
import dev.posthorn.spool.Spool;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A dispatch that throws (a bug, a worker thread that cannot start) in the middle of a claimed batch: the messages
 * after it in the batch are released, and the failing one's recipients wait again instead of staying in flight;
 * both are delivered at the next round (second queue review: they stayed claimed until a restart).
 */
@Timeout(60)
class DispatchFailureTest {

    @TempDir
    Path dir;

    @AfterEach
    void healthy() {
        Scheduler.dispatchFault = null;
    }

    @Test
    void aDispatchThatThrowsStrandsNothing() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.start()) {
            PosthornConfig c = new PosthornConfig();
            c.routes.put("remote.test", "127.0.0.1:" + peer.port());
            c.queue.retryIntervalsSeconds = new ArrayList<>(List.of(60L));
            c.queue.sweepIntervalSeconds = 0.2;
            Spool spool = new Spool(dir.resolve("queue"));
            FileQueueStore store = new FileQueueStore(spool, Clock.systemUTC());
            CatalogueExplainer explainer = new CatalogueExplainer();
            DeliveryTargets targets = QueueTargets.of(c, dir, (message, content) -> content);
            AtomicInteger dispatches = new AtomicInteger();
            Scheduler.dispatchFault = message -> {
                if (dispatches.incrementAndGet() == 1) {
                    throw new IllegalStateException("injected: the first dispatch fails");
                }
            };
            try (Scheduler scheduler = new Scheduler(store, targets, c.queue, new DsnBuilder(explainer,
                    java.time.ZoneId.of("UTC")), "mx.test", (rcpt, msg, eightBit) -> { }, explainer, Clock.systemUTC())) {
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < 2; i++) { // both due before the dispatcher starts: one claimed batch
                    Envelope e = SpooledMessages.commit(spool, String.valueOf(i));
                    scheduler.accepted(e);
                    ids.add(e.id());
                }
                scheduler.start();
                assertThat(peer.received.poll(15, TimeUnit.SECONDS)).as("the first message").isNotNull();
                assertThat(peer.received.poll(15, TimeUnit.SECONDS)).as("the second message").isNotNull();
                assertThat(dispatches.get()).as("dispatches, the failed one included").isGreaterThanOrEqualTo(3);
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!scheduler.inFlight().isEmpty() && System.nanoTime() < until) {
                    Thread.sleep(10);
                }
                assertThat(scheduler.inFlight()).as("recipients in flight after both deliveries").isEmpty();
            } finally {
                store.close();
            }
        }
    }
}
