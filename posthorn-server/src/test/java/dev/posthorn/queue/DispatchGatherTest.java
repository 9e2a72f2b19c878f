package dev.posthorn.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.config.PosthornConfig;
import dev.posthorn.delivery.CatalogueExplainer;
import dev.posthorn.delivery.dsn.DsnBuilder;
import dev.posthorn.delivery.fixtures.ScriptedSmtpPeer;
import dev.posthorn.delivery.target.DeliveryTargets;
import dev.posthorn.metrics.MailMetrics;
import dev.posthorn.spool.Spool;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * In a burst the dispatcher takes what gathered in {@link Scheduler#GATHER} per round instead of one round per
 * accepted message (each of which woke it); every message is still delivered, once, soon after.
 */
@Timeout(60)
class DispatchGatherTest {

    @TempDir
    Path dir;

    @Test
    void aBurstIsDispatchedInGatheredRoundsAndEveryMessageOnce() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.start()) {
            PosthornConfig c = new PosthornConfig();
            c.routes.put("remote.test", "127.0.0.1:" + peer.port());
            Spool spool = new Spool(dir.resolve("queue"));
            FileQueueStore store = new FileQueueStore(spool, Clock.systemUTC());
            CatalogueExplainer explainer = new CatalogueExplainer();
            DeliveryTargets targets = QueueTargets.of(c, dir, (message, content) -> content);
            // The CPU counts as fully busy: the burst (at least BURST messages a sample) decides.
            AcceptanceFirst gate = new AcceptanceFirst(Duration.ofSeconds(5), () -> 1.0, () -> -1, System::nanoTime, 2);
            List<String> ids = new ArrayList<>();
            try (Scheduler scheduler = new Scheduler(store, targets, c.queue, new DsnBuilder(explainer,
                    ZoneId.of("UTC")), "mx.test", (rcpt, msg, eightBit) -> { }, explainer, Clock.systemUTC(),
                    MailMetrics.NONE, gate)) {
                scheduler.start();
                // A message a millisecond for 250 ms, each counted with as many from other sessions as make a
                // burst: it is known after a sample.
                accept(scheduler, spool, gate, ids, 250);
                assertThat(gate.pressed()).as("a burst").isTrue();
                long before = scheduler.rounds();
                long start = System.nanoTime();
                accept(scheduler, spool, gate, ids, 400);
                long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                long rounds = scheduler.rounds() - before;
                // Woken by each message, the dispatcher runs about a round per message (390 in 822 ms measured);
                // gathering, one or two per 20 ms however slowly the commits go (a slow disk: fewer messages per
                // gather, not more rounds).
                assertThat(rounds).as("dispatch rounds for 400 messages of a burst, in %d ms", elapsed)
                        .isBetween(1L, 2 * elapsed / Scheduler.GATHER.toMillis() + 10);

                Set<String> seen = new HashSet<>();
                for (int i = 0; i < ids.size(); i++) {
                    ScriptedSmtpPeer.Received r = peer.received.poll(20, TimeUnit.SECONDS);
                    assertThat(r).as("message %d of %d delivered", i + 1, ids.size()).isNotNull();
                    String subject = new String(r.data(), java.nio.charset.StandardCharsets.US_ASCII)
                            .lines().filter(l -> l.startsWith("Subject: ")).findFirst().orElseThrow();
                    assertThat(seen.add(subject)).as("delivered once: " + subject).isTrue();
                }
                assertThat(peer.received.poll(500, TimeUnit.MILLISECONDS)).as("nothing delivered twice").isNull();
            } finally {
                store.close();
            }
        }
    }

    /** One message a millisecond (at most), {@code count} of them. */
    private static void accept(Scheduler scheduler, Spool spool, AcceptanceFirst gate, List<String> ids, int count)
            throws Exception {
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            var e = SpooledMessages.commit(spool, "m" + ids.size());
            for (int k = 0; k < AcceptanceFirst.BURST; k++) {
                gate.arrived();
            }
            scheduler.accepted(e);
            ids.add(e.id());
            long due = start + TimeUnit.MILLISECONDS.toNanos(i + 1);
            while (System.nanoTime() < due) {
                Thread.onSpinWait();
            }
        }
    }
}
