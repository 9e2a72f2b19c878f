package dev.posthorn.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.store.StoreConfig;
import dev.posthorn.testing.PostgresServer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Four "nodes" run PgQueueStore.CLAIM at once (server-side prepared, so generic plans too) while a fifth keeps
 * updating unclaimed rows (forcing the CTE's lock and the UPDATE onto the EvalPlanQual path). With a lease of
 * an hour, no row may be claimed twice.
 */
class PgQueueClaimRaceTest {

    @Test
    void noRowIsClaimedTwice() throws Exception {
        StoreConfig config = PostgresServer.shared().newStoreConfig();
        try (var db = dev.posthorn.store.pg.PgDatabase.open(config, "race")) { // migrates
        }
        int rows = 3000;
        try (Connection c = PostgresServer.shared().connect(config.url); Statement s = c.createStatement()) {
            s.execute("""
                    INSERT INTO queue_messages (id, received_at, accepted_by, envelope, size, chunks, held, next_due)
                    SELECT 'm' || g, now(), 'x', 'e', 1, 1, false, now() - interval '1 minute' FROM generate_series(1, %d) g
                    """.formatted(rows));
        }
        Map<String, List<String>> claimedBy = new ConcurrentHashMap<>();
        AtomicBoolean done = new AtomicBoolean();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int n = 0; n < 4; n++) {
            String node = "node-" + n;
            threads.add(Thread.ofPlatform().start(() -> {
                try (Connection c = PostgresServer.shared().connect(config.url + "?prepareThreshold=1");
                     PreparedStatement s = c.prepareStatement(PgQueueStore.CLAIM)) {
                    start.await();
                    int empty = 0;
                    while (empty < 20) {
                        s.setObject(1, OffsetDateTime.now(ZoneOffset.UTC));
                        s.setInt(2, 7);
                        s.setString(3, node);
                        s.setDouble(4, 3600);
                        int got = 0;
                        try (ResultSet r = s.executeQuery()) {
                            while (r.next()) {
                                got++;
                                claimedBy.computeIfAbsent(r.getString(1), k -> new java.util.concurrent.CopyOnWriteArrayList<>())
                                        .add(node + "#" + r.getLong(5));
                            }
                        }
                        empty = got == 0 ? empty + 1 : 0;
                    }
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }));
        }
        Thread churn = Thread.ofPlatform().start(() -> {
            try (Connection c = PostgresServer.shared().connect(config.url);
                 PreparedStatement s = c.prepareStatement(
                         "UPDATE queue_messages SET retry_requested = NOT retry_requested WHERE id = ? AND lease_owner IS NULL")) {
                start.await();
                while (!done.get()) {
                    s.setString(1, "m" + ThreadLocalRandom.current().nextInt(1, rows + 1));
                    s.executeUpdate();
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        start.countDown();
        for (Thread t : threads) {
            t.join();
        }
        done.set(true);
        churn.join();
        Map<String, List<String>> twice = new java.util.TreeMap<>();
        claimedBy.forEach((id, by) -> {
            if (by.size() > 1) {
                twice.put(id, by);
            }
        });
        assertThat(twice).as("rows claimed more than once").isEmpty();
        assertThat(claimedBy).hasSize(rows);
    }
}
