package dev.posthorn.codes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Lists the files of a resource directory, on disk (tests, IDE) or inside a jar (the shaded jar), so that data
 * is found by listing rather than by a hand-kept index: adding a language or a provider is adding a file.
 */
public final class ResourceFiles {

    private ResourceFiles() {
    }

    /** The names without extension of the {@code extension} files in the directory that holds {@code anchor}. */
    public static List<String> namesBeside(URL anchor, String extension) {
        try {
            URI uri = anchor.toURI();
            Path file = "jar".equals(uri.getScheme()) ? jarPath(uri) : Path.of(uri);
            return names(file.getParent(), extension);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The names without extension of the {@code extension} files in a directory given as a file: or jar: URL. */
    public static List<String> namesIn(URL directory, String extension) {
        try {
            URI uri = directory.toURI();
            return names("jar".equals(uri.getScheme()) ? jarPath(uri) : Path.of(uri), extension);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> names(Path dir, String extension) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(extension))
                    .map(n -> n.substring(0, n.length() - extension.length()))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path jarPath(URI uri) {
        try {
            return FileSystems.newFileSystem(uri, Map.of()).provider().getPath(uri);
        } catch (FileSystemAlreadyExistsException e) {
            return FileSystems.getFileSystem(uri).provider().getPath(uri);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
