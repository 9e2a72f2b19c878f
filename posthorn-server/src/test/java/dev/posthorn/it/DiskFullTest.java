package dev.posthorn.it;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.posthorn.spool.DiskSpace;
import dev.posthorn.testing.ExternalTool;
import dev.posthorn.testing.RunningServer;
import dev.posthorn.testing.SmtpWire;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A data directory on a small tmpfs that the test mounts and fills for real (issue 10): below the free-space
 * minimum, MAIL and the end of DATA get {@code 452 4.3.1 Insufficient system storage}; a disk that fills while a
 * message arrives costs that message (452, the session goes on) and never one acknowledged before; once space
 * is back, mail flows again. Needs root for {@code mount}, as CI runs the tests.
 */
class DiskFullTest {

    private static final long MIB = 1024 * 1024;
    private static final String NO_ROOM = "452 4.3.1 Insufficient system storage";

    @Test
    void aFullDiskRefusesNewMailWith452AndNeverLosesAcknowledgedMail(@TempDir Path dir) throws Exception {
        requireRoot();
        Path mount = Files.createDirectories(dir.resolve("tmpfs"));
        mountTmpfs(mount, "24m");
        Path filler = mount.resolve("filler");
        try (RunningServer server = RunningServer.start(mount.resolve("data"), c -> c.limits.minFreeDiskMb = 4)) {
            // An acknowledged message, delivered before the disk fills.
            String first;
            try (SmtpWire wire = greeted(server)) {
                first = send(wire, "Subject: acknowledged before\r\n\r\nkeep me\r\n");
            }
            assertThat(first).startsWith("250 2.0.0 Ok: queued as ");
            List<Path> delivered = server.awaitMessages("postmaster@posthorn.test", 1, 10_000);
            assertThat(delivered).hasSize(1);
            byte[] acknowledged = Files.readAllBytes(delivered.get(0));

            try (SmtpWire wire = greeted(server)) {
                // 6.5 MiB free, 4 must stay: a declared SIZE that does not fit is refused at MAIL (RFC 1870 §6.1).
                fillUntilFree(mount, filler, 6 * MIB + MIB / 2);
                assertThat(wire.command("MAIL FROM:<a@example.org> SIZE=3000000")).isEqualTo(NO_ROOM);
                // Without SIZE it is accepted, and the message is larger than the space left: the disk fills
                // while it arrives. It gets 452 once its end is read, and the session goes on.
                assertThat(wire.command("MAIL FROM:<a@example.org>")).isEqualTo("250 2.1.0 Sender OK");
                assertThat(wire.command("RCPT TO:<postmaster@posthorn.test>")).isEqualTo("250 2.1.5 Recipient OK");
                assertThat(wire.command("DATA")).startsWith("354 ");
                wire.send("Subject: too big for the disk\r\n\r\n");
                String line = "z".repeat(998) + "\r\n";
                byte[] chunk = line.repeat(1024).getBytes(US_ASCII);
                for (int i = 0; i < 9; i++) {
                    wire.sendBytes(chunk);
                }
                assertThat(wire.command(".")).isEqualTo(NO_ROOM);
                assertThat(wire.command("NOOP")).isEqualTo("250 2.0.0 OK");
                // Its partial file is gone: the space is back.
                assertThat(Files.getFileStore(mount).getUsableSpace()).isGreaterThan(6 * MIB);

                // Under the minimum: MAIL itself gets 452.
                fillUntilFree(mount, filler, 3 * MIB);
                assertThat(wire.command("MAIL FROM:<a@example.org>")).isEqualTo(NO_ROOM);

                // Space running out while a small message arrives: refused at its end.
                Files.delete(filler);
                fillUntilFree(mount, filler, 5 * MIB);
                assertThat(wire.command("MAIL FROM:<a@example.org>")).isEqualTo("250 2.1.0 Sender OK");
                assertThat(wire.command("RCPT TO:<postmaster@posthorn.test>")).isEqualTo("250 2.1.5 Recipient OK");
                assertThat(wire.command("DATA")).startsWith("354 ");
                wire.send("Subject: arrived as the disk filled\r\n\r\nx\r\n");
                fillUntilFree(mount, filler, 3 * MIB);
                assertThat(wire.command(".")).isEqualTo(NO_ROOM);

                // Space again: mail flows.
                Files.delete(filler);
                assertThat(send(wire, "Subject: after the space came back\r\n\r\nhello again\r\n"))
                        .startsWith("250 2.0.0 Ok: queued as ");
            }
            List<Path> all = server.awaitMessages("postmaster@posthorn.test", 2, 10_000);
            assertThat(all).hasSize(2);
            String together = Files.readString(all.get(0), US_ASCII) + Files.readString(all.get(1), US_ASCII);
            assertThat(together).contains("Subject: acknowledged before", "Subject: after the space came back")
                    .doesNotContain("too big for the disk", "arrived as the disk filled");
            // The message acknowledged before is byte for byte what it was.
            assertThat(all).anySatisfy(p -> assertThat(Files.readAllBytes(p)).isEqualTo(acknowledged));
        } finally {
            ExternalTool.run(List.of("umount", "-l", mount.toString()), 30);
        }
    }

    /**
     * With no free-space minimum the journal itself hits ENOSPC. First it still has the zeros it wrote ahead of its
     * records: messages that fit there are acknowledged (their blocks are the journal's already) and delivered once
     * space is back. Then the message whose record tore gets 452 and is never delivered, not even after a restart
     * (the journal cuts the failed batch off its segment), and once space is back mail flows on the same journal.
     */
    @Test
    void aJournalWriteThatHitsAFullDiskCostsOneMessageAndItsSegmentIsStillRetired(@TempDir Path dir)
            throws Exception {
        requireRoot();
        Path mount = Files.createDirectories(dir.resolve("tmpfs"));
        mountTmpfs(mount, "16m"); // room, once the filler goes, for the journal and two copies of what its zeros took
        Path filler = mount.resolve("filler");
        java.util.function.Consumer<dev.posthorn.config.PosthornConfig> noMinimum = c -> {
            c.limits.minFreeDiskMb = 0;
            c.queue.retryIntervalsSeconds = new java.util.ArrayList<>(List.of(1L)); // deliveries the full disk deferred
            c.queue.sweepIntervalSeconds = 0.2;
        };
        int inTheZeros = 0;
        try (RunningServer server = RunningServer.start(mount.resolve("data"), noMinimum)) {
            // More than a page, so that its journal record cannot fit in what is left of the last one.
            String body = ("b".repeat(998) + "\r\n").repeat(64);
            try (SmtpWire wire = greeted(server)) {
                assertThat(send(wire, "Subject: acknowledged before\r\n\r\nkeep me\r\n"))
                        .startsWith("250 2.0.0 Ok: queued as ");
                assertThat(server.awaitMessages("postmaster@posthorn.test", 1, 10_000)).hasSize(1);
                fillCompletely(filler);
                // A full disk is known as such in any locale: glibc's German for ENOSPC is not English.
                IOException german = new IOException("Auf dem Gerät ist kein Speicherplatz mehr verfügbar");
                assertThat(DiskSpace.isOutOfSpace(german, mount)).isTrue();
                assertThat(DiskSpace.isOutOfSpace(german, dir)).as("a file system with room").isFalse();
                String reply;
                while ((reply = send(wire, "Subject: sent to a full disk " + inTheZeros + ".\r\n\r\n" + body))
                        .startsWith("250 ")) {
                    inTheZeros++;
                    assertThat(inTheZeros).as("messages acknowledged in the journal's zeros (4 MiB of them)")
                            .isLessThan((int) (4 * MIB / body.length()) + 1);
                }
                assertThat(reply).isEqualTo(NO_ROOM);
                Files.delete(filler);
                assertThat(send(wire, "Subject: after the space came back\r\n\r\n" + body))
                        .startsWith("250 2.0.0 Ok: queued as ");
            }
            List<Path> all = server.awaitMessages("postmaster@posthorn.test", 2 + inTheZeros, 20_000);
            assertThat(all).hasSize(2 + inTheZeros);
            StringBuilder together = new StringBuilder();
            for (Path p : all) {
                together.append(Files.readString(p, US_ASCII));
            }
            assertThat(together).contains("Subject: acknowledged before", "Subject: after the space came back")
                    .doesNotContain("Subject: sent to a full disk " + inTheZeros + ".");
            for (int i = 0; i < inTheZeros; i++) {
                assertThat(together).contains("Subject: sent to a full disk " + i + ".");
            }
        }
        // The journal cut the torn record off its segment: a restart on the same data replays nothing of it.
        try (RunningServer again = RunningServer.start(mount.resolve("data"), noMinimum)) {
            assertThat(again.server().queue().messages()).as("replayed into the queue").isEmpty();
            assertThat(again.awaitMessages("postmaster@posthorn.test", 2 + inTheZeros, 2_000))
                    .hasSize(2 + inTheZeros);
        } finally {
            ExternalTool.run(List.of("umount", "-l", mount.toString()), 30);
        }
    }

    /** Writes to {@code filler} until the file system says it is full (ENOSPC). */
    private static void fillCompletely(Path filler) {
        byte[] block = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(filler, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            while (true) {
                out.write(block);
            }
        } catch (IOException full) {
            // No space left on device: what we wanted.
        }
    }

    private static SmtpWire greeted(RunningServer server) throws IOException {
        SmtpWire wire = SmtpWire.connect(server.mxPort());
        assertThat(wire.reply()).startsWith("220 ");
        assertThat(wire.command("EHLO client.test")).startsWith("250-");
        return wire;
    }

    private static String send(SmtpWire wire, String content) throws IOException {
        assertThat(wire.command("MAIL FROM:<a@example.org>")).isEqualTo("250 2.1.0 Sender OK");
        assertThat(wire.command("RCPT TO:<postmaster@posthorn.test>")).isEqualTo("250 2.1.5 Recipient OK");
        assertThat(wire.command("DATA")).startsWith("354 ");
        return wire.command(content + ".");
    }

    /** Grows the filler file until the file system has at most {@code free} bytes left (real pages, not sparse). */
    private static void fillUntilFree(Path mount, Path filler, long free) throws IOException {
        long usable = Files.getFileStore(mount).getUsableSpace();
        long toWrite = usable - free;
        if (toWrite <= 0) {
            return;
        }
        byte[] block = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(filler, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            while (toWrite > 0) {
                int n = (int) Math.min(block.length, toWrite);
                out.write(block, 0, n);
                toWrite -= n;
            }
        }
    }

    /**
     * Mounts a tmpfs of {@code size} at {@code mount}. Root without the right to mount (a container without
     * CAP_SYS_ADMIN) skips the test with a line that says so, rather than failing on mount's own words.
     */
    private static void mountTmpfs(Path mount, String size) throws IOException, InterruptedException {
        ExternalTool.Result mounted = ExternalTool.run(List.of("mount", "-t", "tmpfs", "-o", "size=" + size,
                "posthorn-disk-full-test", mount.toString()), 30);
        org.junit.jupiter.api.Assumptions.assumeTrue(mounted.exitCode() == 0,
                "DiskFullTest skipped: this machine does not let the tests mount a tmpfs (a container without"
                        + " CAP_SYS_ADMIN? run it with --privileged or --cap-add SYS_ADMIN to test full disks);"
                        + " mount said: " + mounted.output().strip());
    }

    /** One clear line instead of a confusing mount error when the tests do not run as root. */
    private static void requireRoot() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("Uid:") && !line.split("\\s+")[1].equals("0")) {
                fail("DiskFullTest mounts a tmpfs and needs root: run the tests as root, as ./test and CI do");
            }
        }
    }
}
