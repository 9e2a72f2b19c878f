package dev.posthorn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.posthorn.config.PosthornConfig;
import dev.posthorn.tls.TlsConfig;
import dev.posthorn.testing.TestConfigs;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A start that fails on the operator's files (here a missing certificate) leaves nothing behind: no spool lock, no
 * spool threads, so the corrected configuration starts on the same data directory in the same JVM (embedding).
 */
class FailedStartTest {

    @TempDir
    Path dir;

    private PosthornConfig config() {
        PosthornConfig c = TestConfigs.onFreePorts(dir.resolve("data"));
        return c;
    }

    private static long spoolThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("spool-")).count();
    }

    @Test
    void aStartThatFailsOnTheCertificateReleasesTheSpool() throws Exception {
        long before = spoolThreads();
        PosthornConfig bad = config();
        bad.tls = new TlsConfig();
        bad.tls.cert = dir.resolve("missing-cert.pem").toString();
        bad.tls.key = dir.resolve("missing-key.pem").toString();
        assertThatThrownBy(() -> PosthornServer.start(bad)).isNotNull();
        assertThat(spoolThreads()).as("spool threads left running by the failed start").isEqualTo(before);
        // The operator fixes the certificate; in the same JVM (embedded, tests) the server must start.
        try (PosthornServer server = PosthornServer.start(config())) {
            assertThat(server.spool()).isNotNull();
        }
    }
}
