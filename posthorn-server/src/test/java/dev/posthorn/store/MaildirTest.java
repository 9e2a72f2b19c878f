package dev.posthorn.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A Maildir copy is written without looking at the directories first (issue 15: three stat calls per copy): a
 * mailbox whose directories are missing gets them at its first copy, a new/ removed by hand is made again at the
 * rename, and the file holds exactly the header and the body whatever the body's size.
 */
class MaildirTest {

    @TempDir
    Path dir;

    private static final byte[] HEADER = "Return-Path: <a@example.org>\r\nDelivered-To: b@example.org\r\n"
            .getBytes(StandardCharsets.US_ASCII);

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 65535, 65536, 65537, 300_000})
    void theFileIsTheHeaderThenTheBodyByteForByte(int size) throws Exception {
        byte[] body = new byte[size];
        new Random(size).nextBytes(body);
        Maildir maildir = new Maildir(dir.resolve("box"));
        // A body that comes in dribs and drabs, as a spool file's stream may.
        maildir.prepare("m1", HEADER, new Trickle(new ByteArrayInputStream(body)), false);
        maildir.rename("m1");
        byte[] expected = new byte[HEADER.length + size];
        System.arraycopy(HEADER, 0, expected, 0, HEADER.length);
        System.arraycopy(body, 0, expected, HEADER.length, size);
        assertThat(Files.readAllBytes(maildir.newDirectory().resolve("m1"))).isEqualTo(expected);
        assertThat(dir.resolve("box/tmp")).isEmptyDirectory();
    }

    @Test
    void aMailboxWithoutItsDirectoriesGetsThemAtItsFirstCopy() throws Exception {
        Maildir maildir = new Maildir(dir.resolve("new-account"));
        maildir.prepare("m1", HEADER, new ByteArrayInputStream("hello\r\n".getBytes(StandardCharsets.US_ASCII)), true);
        maildir.rename("m1");
        assertThat(dir.resolve("new-account/tmp")).isDirectory();
        assertThat(dir.resolve("new-account/cur")).isDirectory();
        assertThat(maildir.contains("m1")).isTrue();
    }

    @Test
    void aNewDirectoryRemovedByHandIsMadeAgainAtTheRename() throws Exception {
        Maildir maildir = new Maildir(dir.resolve("box"));
        maildir.create();
        maildir.prepare("m1", HEADER, InputStream.nullInputStream(), false);
        Files.delete(maildir.newDirectory());
        maildir.rename("m1");
        assertThat(Files.exists(maildir.newDirectory().resolve("m1"))).isTrue();
    }

    @Test
    void aMissingPreparedFileIsStillAnError() throws Exception {
        Maildir maildir = new Maildir(dir.resolve("box"));
        maildir.create();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> maildir.rename("never-prepared"))
                .isInstanceOf(java.nio.file.NoSuchFileException.class);
        assertThat(maildir.newDirectory()).isEmptyDirectory();
    }

    /** Hands out at most 1,000 bytes per read. */
    private static final class Trickle extends FilterInputStream {
        Trickle(InputStream in) {
            super(in);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return super.read(b, off, Math.min(len, 1000));
        }
    }
}
