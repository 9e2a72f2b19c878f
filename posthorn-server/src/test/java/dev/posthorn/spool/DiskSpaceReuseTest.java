package dev.posthorn.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link DiskSpace} reads the disk at every check near the minimum, and uses a reading again only far from it
 * and for a tenth of a second. The readings are counted (and their values set) here; the time is the test's.
 * {@code DiskFullTest} covers a real file system filling up.
 */
class DiskSpaceReuseTest {

    private static final long MIB = 1024 * 1024;
    private static final long MINIMUM = 4 * MIB;

    @TempDir
    Path dir;

    private final AtomicInteger readings = new AtomicInteger();
    private long usable;
    private long now = 1_000_000_000L;

    private DiskSpace space() {
        return new DiskSpace(dir, MINIMUM, () -> now, store -> {
            readings.incrementAndGet();
            return usable;
        });
    }

    @Test
    void farFromTheMinimumAReadingIsUsedAgainForATenthOfASecond() {
        DiskSpace space = space();
        usable = MINIMUM + DiskSpace.REUSE_MARGIN + 10 * MIB;
        assertThat(space.hasRoomFor(0)).isTrue();
        now += DiskSpace.REUSE_FOR.toNanos() - 1;
        assertThat(space.hasRoomFor(0)).isTrue();
        assertThat(readings).as("statfs calls").hasValue(1);
        now += 1;
        assertThat(space.hasRoomFor(0)).isTrue();
        assertThat(readings).as("statfs calls once the reading is a tenth of a second old").hasValue(2);
    }

    @Test
    void nearTheMinimumEveryCheckReadsTheDiskAndSeesItFill() {
        DiskSpace space = space();
        usable = MINIMUM + DiskSpace.REUSE_MARGIN - 1;
        assertThat(space.hasRoomFor(0)).isTrue();
        usable = MINIMUM - 1; // filled by something else a moment later
        assertThat(space.hasRoomFor(0)).as("the next check, at the same instant").isFalse();
        assertThat(readings).hasValue(2);
    }

    @Test
    void aDeclaredSizeCountsAgainstTheMargin() {
        DiskSpace space = space();
        usable = MINIMUM + DiskSpace.REUSE_MARGIN + 10 * MIB;
        assertThat(space.hasRoomFor(0)).isTrue();
        assertThat(space.hasRoomFor(10 * MIB)).isTrue();
        assertThat(readings).hasValue(1);
        usable = MINIMUM; // the disk filled meanwhile
        assertThat(space.hasRoomFor(10 * MIB + 1)).as("a size beyond the margin reads again").isFalse();
        assertThat(space.hasRoomFor(Long.MAX_VALUE)).as("no overflow").isFalse();
        assertThat(readings).hasValue(3);
    }

    @Test
    void aReadingUnderAHugeMinimumIsNeverTakenForRoom() {
        // From the second review: min_free_disk_mb = 8796093022207 made the reuse test wrap around.
        long minimum = 8796093022207L * MIB;
        DiskSpace space = new DiskSpace(dir, minimum, () -> now, store -> {
            readings.incrementAndGet();
            return 100 * MIB;
        });
        assertThat(space.hasRoomFor(0)).as("first check").isFalse();
        assertThat(space.hasRoomFor(0)).as("second check, same instant").isFalse();
        assertThat(readings).hasValue(2);
    }
}
