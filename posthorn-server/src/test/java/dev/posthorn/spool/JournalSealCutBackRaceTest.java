package dev.posthorn.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checkpointer seals (creating the next segment without the lock) while the writer's failed cut-back moves to
 * a new segment of its own. Replay applies segments by number: a record written later must never land in a
 * lower-numbered segment than one written before it, or an older state is applied after a newer one.
 * (From the second queue review's ReviewSealCutBackRaceTest; the interleaving is pinned with Fault hooks.)
 */
class JournalSealCutBackRaceTest {

    @TempDir
    Path dir;

    @AfterEach
    void healthy() {
        Journal.fault = null;
    }

    @Test
    void laterRecordsNeverLandInALowerNumberedSegmentThanEarlierOnes() throws Exception {
        Journal journal = new Journal(dir, 1, 1 << 30, TimeUnit.SECONDS.toNanos(5));
        try {
            journal.appendState("M1", state("1")).get(5, TimeUnit.SECONDS);
            CountDownLatch sealerOpened = new CountDownLatch(1);
            CountDownLatch sealerMaySwitch = new CountDownLatch(1);
            AtomicReference<CompletableFuture<Journal.Segment>> sealing = new AtomicReference<>();
            Journal.fault = new Journal.Fault() {
                volatile boolean armed = true;

                @Override
                public void beforeWrite() {
                }

                @Override
                public void afterWrite() throws IOException {
                    if (armed) {
                        throw new IOException("injected: the sync fails");
                    }
                }

                @Override
                public void beforeCutBack() throws IOException {
                    if (!armed) {
                        return;
                    }
                    armed = false;
                    // The checkpointer seals now and has created its next segment before the writer opens one.
                    sealing.set(CompletableFuture.supplyAsync(() -> {
                        try {
                            return journal.sealIfDue(0);
                        } catch (IOException e) {
                            throw new RuntimeException(e);
                        }
                    }));
                    await(sealerOpened);
                    throw new IOException("injected: the truncate fails too");
                }

                @Override
                public void beforeSealSwitch() {
                    sealerOpened.countDown();
                    await(sealerMaySwitch); // the width of its header write and fsyncs
                }
            };
            try {
                journal.appendState("M1", state("\"x\"")).get(5, TimeUnit.SECONDS);
            } catch (ExecutionException expected) {
                // the failed batch
            }
            // A record written while the sealer is still creating its file: it goes to the writer's new segment.
            Journal.Segment v2 = journal.appendState("M1", state("2")).get(5, TimeUnit.SECONDS);
            sealerMaySwitch.countDown();
            Journal.Segment sealed = sealing.get().get(5, TimeUnit.SECONDS);
            Journal.Segment v3 = journal.appendState("M1", state("3")).get(5, TimeUnit.SECONDS);

            assertThat(v3.number).as("segment of a later record vs. an earlier one").isGreaterThanOrEqualTo(v2.number);
            if (sealed != null) {
                assertThat(v3.number).as("a record after a seal lands above the sealed segment")
                        .isGreaterThan(sealed.number);
            }
            assertThat(journal.takeAbandoned()).extracting(s -> s.number).containsExactly(1L);
        } finally {
            Journal.fault = null;
            journal.close();
        }
    }

    private static byte[] state(String v) {
        return ("{\"v\":" + v + "}").getBytes(StandardCharsets.US_ASCII);
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(5, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the other side never came");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
