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

    @Test
    void inputOutputAndExitCodeComeThrough() throws Exception {
        ExternalTool.Result result = ExternalTool.run(List.of("sh", "-c", "tr a-z A-Z; exit 3"), "hello\n", 20);
        assertThat(result.exitCode()).isEqualTo(3);
        assertThat(result.output()).isEqualTo("HELLO\n");
    }
}
