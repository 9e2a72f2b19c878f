package dev.posthorn.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * syncfs is used only where it reports writeback errors (Linux 5.8 and later), on a descriptor opened before
 * the writes it covers; a kernel or file system that refuses it switches it off instead of failing deliveries.
 */
class SyncFsTest {

    @TempDir
    Path dir;

    @Test
    void onlyKernelsFromFivePointEightOnAreTrustedToReportWritebackErrors() {
        assertThat(SyncFs.reportsErrors("5.8.0")).isTrue();
        assertThat(SyncFs.reportsErrors("6.1.0-13-amd64")).isTrue();
        assertThat(SyncFs.reportsErrors("5.10.0-rpi")).isTrue();
        assertThat(SyncFs.reportsErrors("5.7.19")).isFalse();
        assertThat(SyncFs.reportsErrors("4.19.0-26-amd64")).isFalse();
        assertThat(SyncFs.reportsErrors("")).isFalse();
    }

    @Test
    void aDirectoryDescriptorSyncsItsFileSystemAndARefusalSwitchesSyncfsOff() throws Exception {
        Assumptions.assumeTrue(SyncFs.usable(), "syncfs in use here");
        try (SyncFs.Descriptor fs = SyncFs.open(dir)) { // a directory, opened without O_DIRECTORY
            fs.sync();
        }
        System.setProperty(SyncFs.SIMULATE_ERRNO, "38"); // ENOSYS
        try (SyncFs.Descriptor fs = SyncFs.open(dir)) {
            assertThatThrownBy(fs::sync).isInstanceOf(SyncFs.Unavailable.class);
            assertThat(SyncFs.usable()).isFalse();
        } finally {
            System.clearProperty(SyncFs.SIMULATE_ERRNO);
            SyncFs.forgetSwitchOff();
        }
        System.setProperty(SyncFs.SIMULATE_ERRNO, "5"); // EIO: a writeback error, not a refusal
        try (SyncFs.Descriptor fs = SyncFs.open(dir)) {
            assertThatThrownBy(fs::sync).isNotInstanceOf(SyncFs.Unavailable.class).hasMessageContaining("errno 5");
            assertThat(SyncFs.usable()).isTrue();
        } finally {
            System.clearProperty(SyncFs.SIMULATE_ERRNO);
        }
    }
}
