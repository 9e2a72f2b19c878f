package dev.posthorn.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The time limit of {@link ExternalTool} holds (issue 10: it used to read the output to the end first). */
class ExternalToolTest {

    @Test
    void aProgramThatRunsTooLongIsKilledAtTheLimit() {
        long started = System.nanoTime();
        assertThatThrownBy(() -> ExternalTool.run(List.of("sh", "-c", "echo started; exec sleep 60"), 1))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("sh did not finish in 1 s")
                .hasMessageContaining("started");
        assertThat((System.nanoTime() - started) / 1_000_000).isLessThan(15_000L);
    }

    @Test
    void aChildThatKeepsTheOutputOpenDoesNotHoldTheRunPastItsParent() throws Exception {
        long started = System.nanoTime();
        ExternalTool.Result result = ExternalTool.run(List.of("sh", "-c", "sleep 60 & echo parent done"), 20);
        assertThat(result.exitCode()).isZero();
        assertThat(result.output()).isEqualTo("parent done\n");
        assertThat((System.nanoTime() - started) / 1_000_000).isLessThan(15_000L);
    }

    /**
     * Found by review (issue 10): only the descendants alive at the timeout were killed, so a grandchild whose
     * parent had exited (reparented, no longer a descendant) ran on after the test.
     */
    @Test
    void everythingTheProgramStartedIsKilledAtTheLimitOrphansToo(@org.junit.jupiter.api.io.TempDir
            java.nio.file.Path dir) throws Exception {
        java.nio.file.Path pidFile = dir.resolve("orphan.pid");
        assertThatThrownBy(() -> ExternalTool.run(List.of("sh", "-c",
                "(sleep 300 & echo $! > " + pidFile + "); exec sleep 60"), 1)).isInstanceOf(IOException.class);
        long orphan = Long.parseLong(java.nio.file.Files.readString(pidFile).strip());
        long deadline = System.currentTimeMillis() + 10_000;
        while (ProcessHandle.of(orphan).map(ProcessHandle::isAlive).orElse(false)
                && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        boolean alive = ProcessHandle.of(orphan).map(ProcessHandle::isAlive).orElse(false);
        if (alive) {
            ProcessHandle.of(orphan).ifPresent(ProcessHandle::destroyForcibly);
        }
        assertThat(alive).as("the orphaned grandchild was killed").isFalse();
    }

    @Test
    void aToolThatIsNotInstalledIsNamed() {
        assertThatThrownBy(() -> ExternalTool.run(List.of("posthorn-no-such-tool"), 5))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("posthorn-no-such-tool is needed by this test and could not be started");
    }

    @Test
    void inputOutputAndExitCodeComeThrough() throws Exception {
        ExternalTool.Result result = ExternalTool.run(List.of("sh", "-c", "tr a-z A-Z; exit 3"), "hello\n", 20);
        assertThat(result.exitCode()).isEqualTo(3);
        assertThat(result.output()).isEqualTo("HELLO\n");
    }
}
