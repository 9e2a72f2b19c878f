package dev.posthorn.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Dovecot-compatible passwd-file user source: one user a line,
 * {@code user:{SCHEME}hash:uid:gid:gecos:home:shell:extra}. Only the first two fields are used; blank
 * lines and lines starting with {@code #} are ignored. The file is re-read when its modification time,
 * size or file key changes (checked on each look-up). User names are matched case-insensitively.
 *
 * <p>Hashes in the file are checked by {@link PasswordHashes}, so PLAIN and LOGIN work for these
 * users. SCRAM-SHA-256 does not: it needs credentials derived from the clear password, which a
 * one-way hash cannot give, so a SCRAM-SHA-256 exchange for a passwd-file user ends in
 * {@code 535 5.7.8}.
 */
public final class PasswdFile {

    private static final Logger LOG = LoggerFactory.getLogger(PasswdFile.class);

    private final Path path;
    private volatile Loaded loaded = new Loaded(null, -2, null, Map.of());

    public PasswdFile(Path path) {
        this.path = path;
        current();
    }

    public Path path() {
        return path;
    }

    /** The stored hash (with its {@code {SCHEME}} prefix if the file had one). */
    public Optional<String> hashOf(String user) {
        if (user == null) {
            return Optional.empty();
        }
        return Optional.ofNullable(current().hashes.get(fold(user)));
    }

    public boolean contains(String user) {
        return hashOf(user).isPresent();
    }

    public boolean verify(String user, char[] password) {
        return hashOf(user).map(h -> PasswordHashes.verify(h, password)).orElse(false);
    }

    private Loaded current() {
        Loaded l = loaded;
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(path, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            if (l.size != -1) {
                LOG.warn("passwd file {} does not exist: no users from it", path);
                loaded = l = new Loaded(null, -1, null, Map.of());
            }
            return l;
        } catch (IOException e) {
            LOG.warn("cannot read passwd file {}: {}", path, e.toString());
            throw new UncheckedIOException("cannot read passwd file " + path, e);
        }
        if (attrs.lastModifiedTime().equals(l.modified) && attrs.size() == l.size
                && java.util.Objects.equals(attrs.fileKey(), l.fileKey)) {
            return l;
        }
        synchronized (this) {
            l = new Loaded(attrs.lastModifiedTime(), attrs.size(), attrs.fileKey(), parse(read()));
            loaded = l;
            LOG.info("loaded {} users from passwd file {}", l.hashes.size(), path);
            return l;
        }
    }

    private List<String> read() {
        try {
            return Files.readAllLines(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            LOG.warn("cannot read passwd file {}: {}", path, e.toString());
            throw new UncheckedIOException("cannot read passwd file " + path, e);
        }
    }

    static Map<String, String> parse(List<String> lines) {
        Map<String, String> hashes = new HashMap<>();
        for (String line : lines) {
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            int first = trimmed.indexOf(':');
            if (first <= 0) {
                continue;
            }
            int second = trimmed.indexOf(':', first + 1);
            String hash = second < 0 ? trimmed.substring(first + 1) : trimmed.substring(first + 1, second);
            if (!hash.isEmpty()) {
                hashes.putIfAbsent(fold(trimmed.substring(0, first)), hash);
            }
        }
        return Map.copyOf(hashes);
    }

    private static String fold(String user) {
        return user.toLowerCase(java.util.Locale.ROOT);
    }

    private record Loaded(FileTime modified, long size, Object fileKey, Map<String, String> hashes) {
    }
}
