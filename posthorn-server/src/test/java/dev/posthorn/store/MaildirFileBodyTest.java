package dev.posthorn.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The body as the queue hands it over for a message on disk ({@code Files.newInputStream}), whose readNBytes
 * sizes itself from the file and whose transferTo into a FileChannel is copy_file_range at the channel's
 * offset: after the header and the first 64 KiB written together, the file must still be the header then the
 * body (found by the review of issue 15's third pass).
 */
class MaildirFileBodyTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 65535, 65536, 65537, 300_000, 3_000_000})
    void aSpooledFileBodyIsCopiedByteForByte(int size) throws Exception {
        byte[] header = "Return-Path: <a@example.org>\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] body = new byte[size];
        new Random(size).nextBytes(body);
        Path spooled = dir.resolve("spooled.msg");
        Files.write(spooled, body);
        Maildir maildir = new Maildir(dir.resolve("box"));
        try (InputStream in = Files.newInputStream(spooled)) {
            maildir.prepare("m1", header, in, true);
        }
        maildir.rename("m1");
        byte[] expected = new byte[header.length + size];
        System.arraycopy(header, 0, expected, 0, header.length);
        System.arraycopy(body, 0, expected, header.length, size);
        assertThat(Files.readAllBytes(maildir.newDirectory().resolve("m1"))).isEqualTo(expected);
    }
}
