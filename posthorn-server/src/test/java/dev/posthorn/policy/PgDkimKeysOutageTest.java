package dev.posthorn.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.posthorn.mailauth.dkim.DkimAlgorithm;
import dev.posthorn.mailauth.dkim.SigningKey;
import dev.posthorn.store.StoreConfig;
import dev.posthorn.store.StoreException;
import dev.posthorn.store.pg.PgDatabase;
import dev.posthorn.testing.PostgresServer;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * DKIM keys in PostgreSQL through a real outage (the database refuses connections and its sessions are ended, as
 * PgStoreOutageTest makes one), not a closed pool that fails at once: signing goes on with the keys read last,
 * and one message per back-off period waits for a failing read, not every one; a node that has no keys yet does
 * not queue its signing threads behind failing reads.
 */
class PgDkimKeysOutageTest {

    @Test
    void duringAnOutageAtMostOneMessagePerValidityWaits() throws Exception {
        StoreConfig config = PostgresServer.shared().newStoreConfig();
        config.connectTimeoutSeconds = 1;
        try (PgDatabase db = PgDatabase.open(config, "node-b")) {
            PgDkimKeys keys = new PgDkimKeys(db);
            keys.generate("posthorn.test", "s1", DkimAlgorithm.ED25519_SHA256);
            assertThat(keys.signingKeys("posthorn.test")).hasSize(1);
            String database = config.url.substring(config.url.lastIndexOf('/') + 1);
            try (Connection admin = PostgresServer.shared().connect(PostgresServer.shared().url("postgres"));
                 Statement s = admin.createStatement()) {
                s.execute("ALTER DATABASE " + database + " ALLOW_CONNECTIONS false");
                s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + database + "'");
                Thread.sleep(600); // the snapshot is stale
                List<Long> waits = new ArrayList<>();
                long began = System.nanoTime();
                for (int i = 0; i < 10; i++) {
                    long t = System.nanoTime();
                    assertThat(keys.signingKeys("posthorn.test")).hasSize(1);
                    waits.add((System.nanoTime() - t) / 1_000_000);
                }
                long total = (System.nanoTime() - began) / 1_000_000;
                // And through several back-off periods the kept snapshot still signs.
                long kept = System.nanoTime();
                while (System.nanoTime() - kept < 3 * PgDkimKeys.VALIDITY.toNanos()) {
                    assertThat(keys.signingKeys("posthorn.test")).extracting(SigningKey::selector).containsExactly("s1");
                    Thread.sleep(50);
                }
                System.out.println("waits (ms) per message during the outage: " + waits + " total " + total);
                s.execute("ALTER DATABASE " + database + " ALLOW_CONNECTIONS true");
                long waited = waits.stream().filter(w -> w > 200).count();
                // The first read fails after ~1 s; the kept snapshot must then serve the next VALIDITY (the loop's
                // other nine calls take microseconds), so at most two of the ten wait.
                assertThat(waited).as("messages that waited for a failing read, in " + total + " ms: " + waits)
                        .isLessThanOrEqualTo(2);
            }
        }
    }

    /**
     * A node that has not read its keys yet (snapshot null) when the database goes away: every signing thread
     * queues on the blocking first-load lock and each does its own failing read in turn, so the k-th of five
     * concurrent submissions waits about k connect timeouts, in the DATA phase, outside any deadline.
     */
    @Test
    void aNodeWithoutASnapshotSerializesEverySubmissionBehindFailingReads() throws Exception {
        StoreConfig config = PostgresServer.shared().newStoreConfig();
        config.connectTimeoutSeconds = 1;
        try (PgDatabase db = PgDatabase.open(config, "node-c")) {
            PgDkimKeys keys = new PgDkimKeys(db);
            String database = config.url.substring(config.url.lastIndexOf('/') + 1);
            try (Connection admin = PostgresServer.shared().connect(PostgresServer.shared().url("postgres"));
                 Statement s = admin.createStatement()) {
                s.execute("ALTER DATABASE " + database + " ALLOW_CONNECTIONS false");
                s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + database + "'");
                List<Long> waits = java.util.Collections.synchronizedList(new ArrayList<>());
                List<Thread> senders = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    senders.add(Thread.ofPlatform().start(() -> {
                        long t = System.nanoTime();
                        try {
                            keys.signingKeys("posthorn.test");
                        } catch (RuntimeException expected) {
                            // the caller logs the message unsigned
                        }
                        waits.add((System.nanoTime() - t) / 1_000_000);
                    }));
                }
                for (Thread t : senders) {
                    t.join();
                }
                // Right after, within the back-off: the next messages, and ARC's seal domains (one lookup each),
                // get the failure at once instead of one failing read per lookup.
                long t = System.nanoTime();
                for (String domain : List.of("posthorn.test", "host.posthorn.test", "other.test", "third.test")) {
                    assertThatThrownBy(() -> keys.signingKeys(domain)).isInstanceOf(StoreException.class);
                }
                long backedOff = (System.nanoTime() - t) / 1_000_000;
                s.execute("ALTER DATABASE " + database + " ALLOW_CONNECTIONS true");
                assertThat(backedOff).as("ms for four lookups within the back-off").isLessThan(200);
                System.out.println("fresh node, 5 concurrent submissions, waits (ms): " + waits);
                assertThat(waits.stream().mapToLong(Long::longValue).max().orElseThrow())
                        .as("the longest wait of five concurrent submissions: " + waits)
                        .isLessThan(2 * 1000L);
            }
        }
    }
}
