package dev.posthorn.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A spool that cannot be opened leaves nothing running behind it and its lock free. */
class SpoolOpeningTest {

    @TempDir
    Path queue;

    private static long threadsNamed(String name) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().equals(name)).count();
    }

    @Test
    void aFailureWhileOpeningStopsTheJournalAndFreesTheLock() throws Exception {
        // An orphan .msg that cannot be removed: a directory with a file in it.
        Path stuck = Files.createDirectories(queue.resolve("MX5ORPHAN000001.msg"));
        Files.writeString(stuck.resolve("inside"), "x");
        long writers = threadsNamed("spool-journal");
        long checkpointers = threadsNamed("spool-checkpoint");

        assertThatThrownBy(() -> new Spool(queue)).isInstanceOf(IOException.class);
        assertThat(threadsNamed("spool-journal")).as("journal writer threads left running").isEqualTo(writers);
        assertThat(threadsNamed("spool-checkpoint")).as("checkpoint threads left running").isEqualTo(checkpointers);

        Files.delete(stuck.resolve("inside"));
        Files.delete(stuck);
        Spool spool = new Spool(queue); // the lock was released
        spool.close();
    }
}
