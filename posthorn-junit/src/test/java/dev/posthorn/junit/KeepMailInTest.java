package dev.posthorn.junit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** keepMailIn: each captured message is also a file, byte for byte what the server stored. */
class KeepMailInTest {

    static final Path DIR = createDirectory();

    @RegisterExtension
    static PosthornExtension mail = PosthornExtension.start().keepMailIn(DIR);

    @Test
    void eachMessageIsWrittenAsAnEmlFile() throws Exception {
        Mails.send(mail, "shop@shop.test", "bob@here.test", "On disk");

        var message = mail.messages().get(0);
        Path file = DIR.resolve(message.id() + ".eml");
        assertThat(Files.readAllBytes(file)).isEqualTo(message.content());
        assertThat(Files.readString(file)).contains("Subject: On disk\r\n");
    }

    @AfterAll
    static void removeDirectory() throws Exception {
        try (var files = Files.list(DIR)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(DIR);
    }

    private static Path createDirectory() {
        try {
            return Files.createTempDirectory("posthorn-keep");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
