package dev.posthorn.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.config.PosthornConfig;
import dev.posthorn.delivery.CatalogueExplainer;
import dev.posthorn.delivery.dsn.DsnBuilder;
import dev.posthorn.delivery.fixtures.ScriptedSmtpPeer;
import dev.posthorn.delivery.target.DeliveryTargets;
import dev.posthorn.delivery.target.OutboundFilter;
import dev.posthorn.spool.Envelope;
import dev.posthorn.spool.Spool;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker that dies of an Error in the middle of an attempt (here: the outbound filter, the place where a DKIM
 * signer will go, fails to initialise once) must not strand its recipients: the attempt counts as deferred and the
 * message is tried again at its next retry (finding 7 of the review of issue 9: recipients stayed in flight and the
 * message claimed until a restart).
 */
@Timeout(60)
class WorkerErrorTest {

    @TempDir
    Path dir;

    @Test
    void anAttemptThatDiesOfAnErrorIsRetried() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.start()) {
            PosthornConfig c = new PosthornConfig();
            c.routes.put("remote.test", "127.0.0.1:" + peer.port());
            c.queue.retryIntervalsSeconds = new ArrayList<>(List.of(1L));
            c.queue.sweepIntervalSeconds = 0.2;
            AtomicBoolean first = new AtomicBoolean(true);
            OutboundFilter flaky = (message, content) -> {
                if (first.getAndSet(false)) {
                    throw new ExceptionInInitializerError("injected: the signer's class failed to initialise");
                }
                return content;
            };
            Spool spool = new Spool(dir.resolve("queue"));
            FileQueueStore store = new FileQueueStore(spool, Clock.systemUTC());
            CatalogueExplainer explainer = new CatalogueExplainer();
            DeliveryTargets targets = QueueTargets.of(c, dir, flaky);
            try (Scheduler scheduler = new Scheduler(store, targets, c.queue, new DsnBuilder(explainer,
                    java.time.ZoneId.of("UTC")), "mx.test", (rcpt, msg, eightBit) -> { }, explainer, Clock.systemUTC())) {
                scheduler.start();
                Envelope e = SpooledMessages.commit(spool, "once");
                scheduler.accepted(e);
                var got = peer.received.poll(15, TimeUnit.SECONDS);
                assertThat(got).as("the message, retried after the failed attempt").isNotNull();
            } finally {
                store.close();
            }
        }
    }
}
