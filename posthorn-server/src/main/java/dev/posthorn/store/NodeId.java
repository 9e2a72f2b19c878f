package dev.posthorn.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A node's name in a cluster sharing one database. Configured ({@code store.node_id}) or made once from the
 * host name and a random suffix and kept in {@code <data_dir>/node-id}, so that it survives restarts (a node
 * that comes back recognises its own leases) and two nodes cloned from one image still differ.
 */
public final class NodeId {

    static final String FILE_NAME = "node-id";
    /** Letters, digits, dot, underscore and hyphen: safe in logs, file names and application_name. */
    public static final Pattern SHAPE = Pattern.compile("[A-Za-z0-9._-]{1,63}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private NodeId() {
    }

    /** The configured id, else the one kept in the data directory, else a new one written there. */
    public static String resolve(String configured, Path dataDir, String hostname) {
        if (configured != null && !configured.isEmpty()) {
            return configured;
        }
        Path file = dataDir.resolve(FILE_NAME);
        try {
            if (Files.exists(file)) {
                return kept(file);
            }
            Files.createDirectories(dataDir);
            String id = fresh(hostname);
            Path tmp = Files.createTempFile(dataDir, FILE_NAME, ".tmp");
            Files.writeString(tmp, id + "\n", StandardCharsets.US_ASCII);
            try {
                // Two processes starting at once on one data directory must agree: the first link wins.
                Files.createLink(file, tmp);
            } catch (FileAlreadyExistsException raced) {
                return kept(file);
            } catch (UnsupportedOperationException noLinks) {
                Files.copy(tmp, file);
            } finally {
                Files.delete(tmp);
            }
            FileDirectoryStore.fsyncDirectory(dataDir);
            return id;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the node id in " + file + ": " + e.getMessage(), e);
        }
    }

    private static String kept(Path file) throws IOException {
        String id = Files.readString(file, StandardCharsets.US_ASCII).strip();
        if (!SHAPE.matcher(id).matches()) {
            throw new IOException(file + " does not hold a node id (letters, digits, '.', '_', '-'); delete it"
                    + " to make a new one, or set store.node_id");
        }
        return id;
    }

    static String fresh(String hostname) {
        String host = hostname.toLowerCase(Locale.ROOT);
        int dot = host.indexOf('.');
        host = (dot > 0 ? host.substring(0, dot) : host).replaceAll("[^a-z0-9-]", "");
        if (host.isEmpty()) {
            host = "node";
        }
        host = host.length() > 50 ? host.substring(0, 50) : host;
        byte[] suffix = new byte[3];
        RANDOM.nextBytes(suffix);
        return host + "-" + HexFormat.of().formatHex(suffix);
    }
}
