package dev.posthorn.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.auth.CredentialStore;
import dev.posthorn.auth.SaslMechanisms;
import dev.posthorn.auth.SaslStep;
import dev.posthorn.store.FileDirectoryStore;
import dev.posthorn.store.ScramCredentials;
import dev.posthorn.store.StoreBackend;
import dev.posthorn.store.StoreConfig;
import dev.posthorn.store.UserStore;
import dev.posthorn.testing.PostgresServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SCRAM answers an unknown user with a made-up salt (RFC 5802 §5.1: a missing one would say who exists). A real
 * user's salt is the same on every node and after a restart, so the made-up one must be too: it comes from a
 * secret the store keeps (a row in the database, a 0600 file in the data directory), not one per process.
 */
class ScramDecoySaltTest {

    private static final String UNKNOWN = "nobody@posthorn.test";

    @TempDir
    Path dataDir;

    @Test
    void nodesOnOneDatabaseMakeUpTheSameSaltFromTheSecretItKeeps() throws Exception {
        StoreConfig config = PostgresServer.shared().newStoreConfig();
        Files.createDirectories(dataDir.resolve("a"));
        Files.createDirectories(dataDir.resolve("b"));
        try (StoreBackend a = StoreBackend.openForNode(config, dataDir.resolve("a"), "a.test");
                StoreBackend b = StoreBackend.openForNode(config, dataDir.resolve("b"), "b.test")) {
            String saltA = salt(a.directory(), UNKNOWN);
            assertThat(salt(b.directory(), UNKNOWN)).isEqualTo(saltA);
            byte[] secret;
            try (Connection c = PostgresServer.shared().connect(config.url); Statement s = c.createStatement();
                    ResultSet r = s.executeQuery("SELECT value FROM secrets WHERE name = 'scram_decoy'")) {
                assertThat(r.next()).isTrue();
                secret = r.getBytes(1);
            }
            // Derived from the stored secret, so a third node (another JVM) makes up this salt too.
            assertThat(saltA).isEqualTo(expected(secret, UNKNOWN));
        }
    }

    @Test
    void theFilesStoreKeepsItsSecretPrivateAcrossARestart() throws Exception {
        String before;
        try (FileDirectoryStore store = FileDirectoryStore.open(dataDir)) {
            before = salt(store, UNKNOWN);
        }
        Path secret = dataDir.resolve("scram-decoy-secret");
        assertThat(Files.getPosixFilePermissions(secret)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(before).isEqualTo(expected(Files.readAllBytes(secret), UNKNOWN));
        try (FileDirectoryStore store = FileDirectoryStore.open(dataDir)) {
            assertThat(salt(store, UNKNOWN)).isEqualTo(before);
        }
    }

    private static String expected(byte[] secret, String user) {
        return Base64.getEncoder().encodeToString(
                Arrays.copyOf(ScramCredentials.hmac(secret, user.getBytes(StandardCharsets.UTF_8)), 16));
    }

    /** The s= of the server-first message (RFC 5802 §7) in answer to a client-first for the user. */
    private static String salt(UserStore users, String user) {
        SaslStep step = new SaslMechanisms(CredentialStore.of(users, null)).create(SaslMechanisms.SCRAM_SHA_256, false)
                .orElseThrow().start(("n,,n=" + user + ",r=clientnonce").getBytes(StandardCharsets.US_ASCII));
        assertThat(step).isInstanceOf(SaslStep.Challenge.class);
        String serverFirst = new String(((SaslStep.Challenge) step).data(), StandardCharsets.US_ASCII);
        return serverFirst.replaceAll(".*,s=([^,]+),.*", "$1");
    }
}
