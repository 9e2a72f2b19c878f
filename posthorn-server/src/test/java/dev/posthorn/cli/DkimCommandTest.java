package dev.posthorn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code posthorn dkim} without DNS: how it fails and what it prints alone (the DNS side is in DnsCommandTest). */
class DkimCommandTest {

    @TempDir
    Path data;

    /** A failure is one line naming the subcommand and exit code 1, as for {@code posthorn user}. */
    @Test
    void activatingAKeyThatDoesNotExistIsOneLineAndExitCodeOne() {
        CliRun run = CliRun.of("dkim", "activate", "example.org", "nosuch", "--data-dir", data.toString());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).startsWith("posthorn dkim activate: ").endsWith("\n");
        assertThat(run.err().lines()).hasSize(1);
        assertThat(run.out()).isEmpty();
    }

    @Test
    void theGroupAlonePrintsItsUsage() {
        CliRun run = CliRun.of("dkim");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("Usage: posthorn dkim").contains("keygen").contains("activate");
    }
}
