package dev.posthorn.policy;

import dev.posthorn.mailauth.dkim.DkimAlgorithm;
import dev.posthorn.mailauth.dkim.DkimKeys;
import dev.posthorn.mailauth.dkim.SigningKey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.posthorn.store.StoreConfig;
import dev.posthorn.store.pg.PgDatabase;
import dev.posthorn.testing.PostgresServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DKIM keys in PostgreSQL, as two nodes see them: what one makes or activates the other signs with within the
 * snapshot's validity; two rotations at once leave exactly one active key per algorithm (the schema says so
 * too); a node's key files are imported once, their selectors, states and public keys unchanged. A database
 * that stops answering: PgDkimKeysOutageTest (a real outage, not a closed pool).
 */
class PgDkimKeysTest {

    @TempDir
    Path dir;
    private StoreConfig config;
    private PgDatabase dbA;
    private PgDatabase dbB;
    private PgDkimKeys nodeA;
    private PgDkimKeys nodeB;

    @BeforeEach
    void twoNodes() {
        config = PostgresServer.shared().newStoreConfig();
        dbA = PgDatabase.open(config, "node-a");
        dbB = PgDatabase.open(config, "node-b");
        nodeA = new PgDkimKeys(dbA);
        nodeB = new PgDkimKeys(dbB);
    }

    @AfterEach
    void close() {
        dbA.close();
        dbB.close();
    }

    @Test
    void aKeyMadeOnOneNodeSignsOnTheOtherAndARotationReachesItWithinTheValidity() throws Exception {
        assertThat(nodeB.signingKeys("posthorn.test")).isEmpty();
        DkimKeys.KeyInfo first = nodeA.generate("posthorn.test", "s1", DkimAlgorithm.RSA_SHA256);
        assertThat(first.active()).isTrue();
        long made = System.nanoTime();
        List<SigningKey> seen = awaitOnB("posthorn.test", "s1", made);
        assertThat(seen.get(0).publicKey()).isEqualTo(first.publicKey());
        // A subdomain signs with its parent's key (relaxed alignment), from the same snapshot.
        assertThat(nodeB.signingKeys("lists.posthorn.test")).extracting(SigningKey::selector).containsExactly("s1");

        DkimKeys.KeyInfo second = nodeA.generate("posthorn.test", "s2", DkimAlgorithm.RSA_SHA256);
        assertThat(second.active()).as("the domain has an active rsa key already").isFalse();
        assertThat(nodeB.signingKeys("posthorn.test")).extracting(SigningKey::selector).containsExactly("s1");
        nodeA.activate("posthorn.test", "s2");
        long rotated = System.nanoTime();
        awaitOnB("posthorn.test", "s2", rotated);
        assertThat(nodeA.list("posthorn.test")).extracting(DkimKeys.KeyInfo::selector, DkimKeys.KeyInfo::active)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("s1", false), org.assertj.core.groups.Tuple.tuple("s2", true));
        assertThatThrownBy(() -> nodeB.generate("posthorn.test", "s2", DkimAlgorithm.ED25519_SHA256))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already has a key");
    }

    /** Node B's signing keys for {@code domain} until the selector signs; no read begun a second after may miss it. */
    private List<SigningKey> awaitOnB(String domain, String selector, long changedAt) throws InterruptedException {
        while (true) {
            long started = System.nanoTime();
            List<SigningKey> keys = nodeB.signingKeys(domain);
            if (!keys.isEmpty() && keys.get(0).selector().equals(selector)) {
                return keys;
            }
            assertThat((started - changedAt) / 1_000_000L).as("ms after the change node B still signed with "
                    + keys.stream().map(SigningKey::selector).toList()).isLessThan(1000);
            Thread.sleep(10);
        }
    }

    @Test
    void twoRotationsAtOnceLeaveExactlyOneActiveKeyPerAlgorithm() throws Exception {
        nodeA.generate("posthorn.test", "r1", DkimAlgorithm.RSA_SHA256);
        nodeA.generate("posthorn.test", "r2", DkimAlgorithm.RSA_SHA256);
        nodeA.generate("posthorn.test", "r3", DkimAlgorithm.RSA_SHA256);
        nodeA.generate("posthorn.test", "e1", DkimAlgorithm.ED25519_SHA256);
        for (int round = 0; round < 20; round++) {
            CyclicBarrier together = new CyclicBarrier(2);
            CompletableFuture<DkimKeys.KeyInfo> a = CompletableFuture.supplyAsync(() -> {
                await(together);
                return nodeA.activate("posthorn.test", "r2");
            });
            CompletableFuture<DkimKeys.KeyInfo> b = CompletableFuture.supplyAsync(() -> {
                await(together);
                return nodeB.activate("posthorn.test", "r3");
            });
            // Both succeed, one after the other: the later one signs.
            assertThat(a.get().active()).isTrue();
            assertThat(b.get().active()).isTrue();
            assertThat(activeCount("rsa")).as("active rsa keys after round " + round).isEqualTo(1);
            assertThat(activeCount("ed25519")).as("the other algorithm's key is untouched").isEqualTo(1);
        }
        // And the schema itself refuses a second active key of one algorithm, whoever writes it.
        try (Connection c = PostgresServer.shared().connect(config.url); Statement s = c.createStatement()) {
            assertThatThrownBy(() -> s.executeUpdate("UPDATE dkim_keys SET active = true WHERE domain = 'posthorn.test'"
                    + " AND algorithm = 'rsa'"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("dkim_keys_one_active");
        }
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private int activeCount(String algorithm) throws SQLException {
        try (Connection c = PostgresServer.shared().connect(config.url); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT count(*) FROM dkim_keys WHERE domain = 'posthorn.test' AND active"
                     + " AND algorithm = '" + algorithm + "'")) {
            r.next();
            return r.getInt(1);
        }
    }

    @Test
    void aNodesKeyFilesAreImportedOnceWithTheirSelectorsStatesAndPublicKeys() throws Exception {
        DkimKeys files = DkimKeys.under(dir);
        files.generate("posthorn.test", "old", DkimAlgorithm.RSA_SHA256);
        files.generate("posthorn.test", "new", DkimAlgorithm.RSA_SHA256);
        files.activate("posthorn.test", "new");
        files.generate("posthorn.test", "ed", DkimAlgorithm.ED25519_SHA256);
        files.generate("other.test", "o1", DkimAlgorithm.RSA_SHA256);

        List<PgDkimKeys.Imported> first = nodeA.importFrom(files);
        assertThat(first).allMatch(PgDkimKeys.Imported::added).hasSize(4);
        // Same selectors, same active flags, same TXT records: the published DNS stays right.
        assertThat(nodeB.list()).extracting(DkimKeys.KeyInfo::recordName, DkimKeys.KeyInfo::active,
                        DkimKeys.KeyInfo::txtRecord)
                .containsExactlyElementsOf(files.list().stream().map(k -> org.assertj.core.groups.Tuple.tuple(
                        k.recordName(), k.active(), k.txtRecord())).toList());
        assertThat(nodeB.signingKeys("posthorn.test")).extracting(SigningKey::selector).containsExactly("ed", "new");

        // Again (or from another node with the same files): nothing changes.
        files.generate("posthorn.test", "later", DkimAlgorithm.RSA_SHA256);
        List<PgDkimKeys.Imported> again = nodeB.importFrom(files);
        assertThat(again).filteredOn(PgDkimKeys.Imported::added).extracting(i -> i.key().selector())
                .containsExactly("later");
        assertThat(nodeA.list("posthorn.test")).filteredOn(DkimKeys.KeyInfo::active)
                .extracting(DkimKeys.KeyInfo::selector).containsExactlyInAnyOrder("ed", "new");
    }

    /**
     * An active key that does not decode (written by hand, say) is skipped, and neither fetched nor logged again
     * at every refresh: once per minute is enough to be seen, twice a second floods the log.
     */
    @Test
    void anActiveKeyThatDoesNotDecodeIsWarnedOnceNotAtEveryRefresh() throws Exception {
        nodeA.generate("posthorn.test", "good", DkimAlgorithm.ED25519_SHA256);
        try (Connection c = PostgresServer.shared().connect(config.url); Statement s = c.createStatement()) {
            s.executeUpdate("INSERT INTO dkim_keys (domain, selector, algorithm, private_key, active)"
                    + " VALUES ('posthorn.test', 'broken', 'rsa', '\\x0102'::bytea, true)");
        }
        ch.qos.logback.classic.Logger logger =
                (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(PgDkimKeys.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> log =
                new ch.qos.logback.core.read.ListAppender<>();
        log.start();
        logger.addAppender(log);
        try {
            for (int refresh = 0; refresh < 4; refresh++) {
                assertThat(nodeB.signingKeys("posthorn.test")).extracting(SigningKey::selector)
                        .containsExactly("good");
                Thread.sleep(PgDkimKeys.VALIDITY.toMillis() + 50); // the next call reads the database again
            }
        } finally {
            logger.detachAppender(log);
        }
        assertThat(log.list).filteredOn(e -> e.getFormattedMessage().contains("broken"))
                .as("warnings about the undecodable key over four refreshes")
                .singleElement().satisfies(e -> assertThat(e.getFormattedMessage())
                        .contains("DKIM key broken of posthorn.test in the database is not a PKCS#8 rsa key"));
    }
}
