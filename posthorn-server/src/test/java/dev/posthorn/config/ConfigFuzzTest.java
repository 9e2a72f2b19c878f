package dev.posthorn.config;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fuzzing the TOML configuration: whatever the file holds, loading it gives a configuration that passed
 * validation or a {@link ConfigException} naming a key, never another exception (a stack trace instead of
 * "key: problem (fix: ...)" for the operator). Regression inputs in {@code ConfigFuzzTestInputs/}.
 */
class ConfigFuzzTest {

    private static final Path FILE;

    static {
        try {
            FILE = Files.createTempFile("posthorn-fuzz-", ".toml");
            FILE.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "3m")
    void loadingAnyFileGivesAConfigOrAConfigException(byte[] toml) throws IOException {
        Files.write(FILE, toml);
        try {
            PosthornConfig config = ConfigLoader.load(FILE);
            if (config.server.domains.isEmpty() || config.limits.maxConnections <= 0) {
                throw new AssertionError("an invalid configuration passed validation");
            }
        } catch (ConfigException e) {
            if (e.problems().isEmpty() || e.problems().stream().anyMatch(p -> p.key() == null || p.key().isEmpty())) {
                throw new AssertionError("a ConfigException must name a key: " + e.getMessage());
            }
        }
    }
}
