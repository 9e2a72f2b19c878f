package dev.posthorn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.mailauth.dkim.DkimAlgorithm;
import dev.posthorn.mailauth.dkim.DkimKeys;
import dev.posthorn.store.StoreConfig;
import dev.posthorn.testing.PostgresServer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code posthorn dkim import --config}: a site moving to PostgreSQL copies its node's key files into the database
 * once, selectors and active flags unchanged; a second run imports nothing; without a PostgreSQL store the
 * command says it has nothing to do, in one line, exit code 1.
 */
class DkimImportCommandTest {

    @TempDir
    Path dir;

    @Test
    void aNodesKeyFilesGoIntoTheDatabaseOnce() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        DkimKeys files = DkimKeys.under(data);
        files.generate("posthorn.test", "old", DkimAlgorithm.RSA_SHA256);
        DkimKeys.KeyInfo current = files.generate("posthorn.test", "new", DkimAlgorithm.RSA_SHA256);
        files.activate("posthorn.test", "new");
        StoreConfig store = PostgresServer.shared().newStoreConfig();
        Path config = dir.resolve("posthorn.toml");
        Files.writeString(config, PostgresServer.operatorConfig(store, data));

        CliRun first = CliRun.of("dkim", "import", "--config", config.toString());
        assertThat(first.exitCode()).as(first.err()).isZero();
        assertThat(first.out()).containsPattern("posthorn.test +new +rsa +imported, active")
                .containsPattern("posthorn.test +old +rsa +imported, inactive")
                .contains("2 of 2 keys imported into the database at ");

        CliRun again = CliRun.of("dkim", "import", "--config", config.toString());
        assertThat(again.exitCode()).isZero();
        assertThat(again.out()).contains("0 of 2 keys imported")
                .containsPattern("posthorn.test +new +rsa +skipped: same key");

        // Another node made its own key under the same selector: which one DNS publishes decides; never silent.
        DkimKeys otherNode = new DkimKeys(dir.resolve("other-node-dkim"));
        otherNode.generate("posthorn.test", "new", DkimAlgorithm.RSA_SHA256);
        CliRun conflict = CliRun.of("dkim", "import", "--config", config.toString(), "--from-files",
                otherNode.root().toString());
        assertThat(conflict.exitCode()).as(conflict.out()).isEqualTo(1);
        assertThat(conflict.out()).containsPattern("posthorn.test +new +rsa +NOT imported: the database holds a "
                + "different key under this selector .check which one DNS publishes");
        assertThat(conflict.err()).contains("1 key(s) not imported");

        CliRun list = CliRun.of("dkim", "list", "--records", "--config", config.toString());
        assertThat(list.out()).containsPattern("posthorn.test +new +rsa +active")
                .containsPattern("posthorn.test +old +rsa +inactive")
                // The key itself, not a new one: the published record stays right.
                .contains(current.txtRecord().substring(current.txtRecord().length() - 40));
    }

    @Test
    void withoutAPostgresqlStoreThereIsNothingToImport() {
        CliRun run = CliRun.of("dkim", "import", "--data-dir", dir.toString());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).startsWith("posthorn dkim import: the keys are files already (");
        assertThat(run.err().lines()).hasSize(1);
    }
}
