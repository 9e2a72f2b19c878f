package dev.posthorn.codes.providers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Adding a provider is adding a file: the catalogue lists its directory, on disk and inside a jar. */
class ProviderFilesTest {

    private static final String ACME = """
            {"id": "acme", "name": "Acme Mail", "domains": ["acme.test"],
             "links": [{"kind": "postmaster", "url": "https://postmaster.acme.test/"}],
             "entries": [{"id": "acme-5.7.1-blocked", "reply": "550 5.7.1", "patterns": ["\\\\[ACME1\\\\]"],
               "wording": "[ACME1] Blocked", "title": {"en": "Blocked", "tr": "Engellendi"},
               "trigger": {"en": "t", "tr": "t"}, "actor": "sender-operator", "advice": {"en": "a", "tr": "a"},
               "since": null, "links": [{"kind": "postmaster", "url": "https://postmaster.acme.test/"}],
               "source": "https://postmaster.acme.test/errors", "retrieved": "2026-12-01", "wordingSeenIn": null,
               "samples": ["550 5.7.1 [ACME1] Blocked"]}]}
            """;

    @Test
    void aNewFileInADirectoryIsANewProvider(@TempDir Path dir) throws IOException {
        copyBundled("gmail", dir);
        Files.writeString(dir.resolve("acme.json"), ACME);
        ProviderCatalogue catalogue = ProviderCatalogue.from(dir.toUri().toURL());
        assertThat(catalogue.providers()).extracting(Provider::id).containsExactly("acme", "gmail");
        assertThat(catalogue.recognise("550 5.7.1 [ACME1] Blocked")).extracting(m -> m.entry().id())
                .containsExactly("acme-5.7.1-blocked");
    }

    @Test
    void aNewFileInsideAJarIsANewProvider(@TempDir Path dir) throws IOException {
        Path jar = dir.resolve("providers.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new JarEntry("codes/"));
            out.putNextEntry(new JarEntry("codes/providers/"));
            out.putNextEntry(new JarEntry("codes/providers/acme.json"));
            out.write(ACME.getBytes(StandardCharsets.UTF_8));
            out.putNextEntry(new JarEntry("codes/providers/gmail.json"));
            try (InputStream gmail = ProviderCatalogue.class.getResourceAsStream("/codes/providers/gmail.json")) {
                gmail.transferTo(out);
            }
        }
        URL directory = URI.create("jar:" + jar.toUri() + "!/codes/providers/").toURL();
        ProviderCatalogue catalogue = ProviderCatalogue.from(directory);
        assertThat(catalogue.providers()).extracting(Provider::id).containsExactly("acme", "gmail");
        assertThat(catalogue.recognise("550 5.7.1 [ACME1] Blocked")).hasSize(1);
    }

    @Test
    void aFileThatNamesAnotherProviderIsRefused(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("other.json"), ACME);
        assertThatThrownBy(() -> ProviderCatalogue.from(dir.toUri().toURL()))
                .hasMessageContaining("other.json names itself 'acme'");
    }

    @Test
    void aBadPatternNamesItsEntry(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("acme.json"), ACME.replace("\\\\[ACME1\\\\]", "[unclosed"));
        assertThatThrownBy(() -> ProviderCatalogue.from(dir.toUri().toURL()))
                .hasMessageContaining("acme-5.7.1-blocked: bad pattern");
    }

    private static void copyBundled(String name, Path dir) throws IOException {
        try (InputStream in = ProviderCatalogue.class.getResourceAsStream("/codes/providers/" + name + ".json");
             OutputStream out = Files.newOutputStream(dir.resolve(name + ".json"))) {
            in.transferTo(out);
        }
    }
}
