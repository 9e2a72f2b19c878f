package dev.posthorn.mailauth.dkim;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * DKIM keys under the data directory: {@code dkim/<domain>/<selector>.<rsa|ed25519>.pem} (PKCS#8, mode 0600)
 * and {@code dkim/<domain>/active}, which names the selector that signs per algorithm. The server looks at
 * the directory's and the active file's times on every use, so a new key or a rotation to a new selector takes
 * effect without a restart.
 */
public final class DkimKeys implements DkimKeyStore {

    public static final int RSA_BITS = 2048;
    private static final Pattern SELECTOR = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final String ACTIVE = "active";

    /** One key: {@code file} is where it is on disk, null for a key in the database. */
    public record KeyInfo(String domain, String selector, DkimAlgorithm algorithm, boolean active, Path file,
                          PublicKey publicKey) {

        /** The TXT record to publish at {@code selector._domainkey.domain} (RFC 6376 §3.6.1, RFC 8463 §4.2). */
        public String txtRecord() {
            return "v=DKIM1; k=" + algorithm.keyType() + "; p=" + KeyRecord.publicKeyValue(publicKey);
        }

        public String recordName() {
            return selector + "._domainkey." + domain;
        }
    }

    private final Path root;
    private final Map<String, Loaded> cache = new ConcurrentHashMap<>();

    private record Loaded(FileTime directoryTime, FileTime activeTime, List<SigningKey> keys) {
    }

    public DkimKeys(Path root) {
        this.root = root;
    }

    public static DkimKeys under(Path dataDir) {
        return new DkimKeys(dataDir.resolve("dkim"));
    }

    public Path root() {
        return root;
    }

    @Override
    public String describe() {
        return root.toString();
    }

    /** Creates a key; the first of its algorithm for the domain becomes active at once. */
    @Override
    public KeyInfo generate(String domain, String selector, DkimAlgorithm algorithm) throws IOException {
        String d = checkDomain(domain);
        checkSelector(selector);
        Path dir = root.resolve(d);
        Files.createDirectories(dir);
        for (DkimAlgorithm other : DkimAlgorithm.values()) {
            if (Files.exists(dir.resolve(selector + "." + other.keyType() + ".pem"))) {
                throw new FileAlreadyExistsException("selector " + selector + " of " + d
                        + " already has a key: choose another selector");
            }
        }
        KeyPair pair = newKeyPair(algorithm);
        Path file = dir.resolve(selector + "." + algorithm.keyType() + ".pem");
        writePrivate(file, pair.getPrivate());
        Properties active = readActive(dir);
        if (active.getProperty(algorithm.keyType()) == null) {
            active.setProperty(algorithm.keyType(), selector);
            writeActive(dir, active);
        }
        return info(d, selector, algorithm, file, pair.getPublic(), selector.equals(active.getProperty(algorithm.keyType())));
    }

    /** Makes {@code selector} the one that signs for its algorithm (rotation: publish first, then activate). */
    @Override
    public KeyInfo activate(String domain, String selector) throws IOException {
        String d = checkDomain(domain);
        Path dir = root.resolve(d);
        for (DkimAlgorithm algorithm : DkimAlgorithm.values()) {
            Path file = dir.resolve(selector + "." + algorithm.keyType() + ".pem");
            if (Files.exists(file)) {
                Properties active = readActive(dir);
                active.setProperty(algorithm.keyType(), selector);
                writeActive(dir, active);
                return info(d, selector, algorithm, file, publicKey(readPrivate(file, algorithm)), true);
            }
        }
        throw new NoSuchFileException("no key with selector " + selector + " for " + d + " under " + dir);
    }

    /** Every key on disk, by domain and selector. */
    @Override
    public List<KeyInfo> list() throws IOException {
        List<KeyInfo> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (DirectoryStream<Path> domains = Files.newDirectoryStream(root, Files::isDirectory)) {
            for (Path dir : domains) {
                out.addAll(list(dir.getFileName().toString()));
            }
        }
        out.sort(Comparator.comparing(KeyInfo::domain).thenComparing(KeyInfo::selector));
        return out;
    }

    /** The keys of one domain. */
    @Override
    public List<KeyInfo> list(String domain) throws IOException {
        Path dir = root.resolve(domain.toLowerCase(Locale.ROOT));
        List<KeyInfo> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        Properties active = readActive(dir);
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.pem")) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                String[] parts = name.split("\\.");
                DkimAlgorithm algorithm = parts.length == 3 ? DkimAlgorithm.ofKeyType(parts[1]) : null;
                if (algorithm == null) {
                    continue;
                }
                PrivateKey key = readPrivate(file, algorithm);
                out.add(info(dir.getFileName().toString(), parts[0], algorithm, file, publicKey(key),
                        parts[0].equals(active.getProperty(algorithm.keyType()))));
            }
        }
        out.sort(Comparator.comparing(KeyInfo::selector));
        return out;
    }

    /** The active keys of exactly this domain, reloaded when the directory or the active file changed. */
    @Override
    public List<SigningKey> activeKeys(String domain) {
        Path dir = root.resolve(domain);
        if (domain.contains("/") || domain.startsWith(".") || !Files.isDirectory(dir)) {
            return List.of();
        }
        try {
            FileTime dirTime = Files.getLastModifiedTime(dir);
            Path activeFile = dir.resolve(ACTIVE);
            FileTime activeTime = Files.exists(activeFile) ? Files.getLastModifiedTime(activeFile) : null;
            Loaded loaded = cache.get(domain);
            if (loaded != null && loaded.directoryTime.equals(dirTime)
                    && java.util.Objects.equals(loaded.activeTime, activeTime)) {
                return loaded.keys;
            }
            Properties active = readActive(dir);
            List<SigningKey> keys = new ArrayList<>();
            for (DkimAlgorithm algorithm : List.of(DkimAlgorithm.ED25519_SHA256, DkimAlgorithm.RSA_SHA256)) {
                String selector = active.getProperty(algorithm.keyType());
                Path file = selector == null ? null : dir.resolve(selector + "." + algorithm.keyType() + ".pem");
                if (file != null && Files.exists(file)) {
                    PrivateKey key = readPrivate(file, algorithm);
                    keys.add(new SigningKey(domain, selector, algorithm, key, publicKey(key)));
                }
            }
            cache.put(domain, new Loaded(dirTime, activeTime, List.copyOf(keys)));
            return List.copyOf(keys);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read DKIM keys in " + dir + ": " + e.getMessage(), e);
        }
    }

    private static KeyInfo info(String domain, String selector, DkimAlgorithm algorithm, Path file, PublicKey key,
            boolean active) {
        return new KeyInfo(domain, selector, algorithm, active, file, key);
    }

    public static String checkDomain(String domain) {
        String d = domain.toLowerCase(Locale.ROOT);
        if (!dev.posthorn.mailauth.DomainNames.isValid(d) || d.endsWith(".") || !d.contains(".") && !d.equals("localhost")) {
            throw new IllegalArgumentException("'" + domain + "' is not a domain name");
        }
        return d;
    }

    private static Properties readActive(Path dir) throws IOException {
        Properties p = new Properties();
        Path file = dir.resolve(ACTIVE);
        if (Files.exists(file)) {
            try (var in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(in);
            }
        }
        return p;
    }

    private static void writeActive(Path dir, Properties active) throws IOException {
        StringBuilder text = new StringBuilder("# the selector that signs, per algorithm (posthorn dkim activate)\n");
        new java.util.TreeMap<>(active).forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
        Path temporary = dir.resolve(ACTIVE + ".tmp");
        Files.writeString(temporary, text, StandardCharsets.UTF_8);
        Files.move(temporary, dir.resolve(ACTIVE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Files.setLastModifiedTime(dir.resolve(ACTIVE), FileTime.fromMillis(System.currentTimeMillis()));
    }

    private static void writePrivate(Path file, PrivateKey key) throws IOException {
        String pem = "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(key.getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(temporary);
        try {
            Files.createFile(temporary, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException notPosix) {
            Files.createFile(temporary);
        }
        Files.writeString(temporary, pem, StandardCharsets.US_ASCII);
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Reads a PKCS#8 PEM private key ("BEGIN PRIVATE KEY"), as written by keygen or by openssl genpkey. */
    public static PrivateKey readPrivate(Path file, DkimAlgorithm algorithm) throws IOException {
        String pem = Files.readString(file, StandardCharsets.US_ASCII);
        String body = pem.replaceAll("-----(BEGIN|END) PRIVATE KEY-----", "").replaceAll("\\s", "");
        try {
            return decodePrivate(Base64.getDecoder().decode(body), algorithm);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IOException(file + " is not a PKCS#8 " + algorithm.keyType() + " private key", e);
        }
    }

    /** A PKCS#8 DER private key of {@code algorithm}. */
    public static PrivateKey decodePrivate(byte[] pkcs8, DkimAlgorithm algorithm) throws GeneralSecurityException {
        return KeyFactory.getInstance(algorithm == DkimAlgorithm.RSA_SHA256 ? "RSA" : "Ed25519")
                .generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    }

    /** A new key pair of {@code algorithm} (RSA {@value #RSA_BITS} bits). */
    public static KeyPair newKeyPair(DkimAlgorithm algorithm) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(
                    algorithm == DkimAlgorithm.RSA_SHA256 ? "RSA" : "Ed25519");
            if (algorithm == DkimAlgorithm.RSA_SHA256) {
                generator.initialize(RSA_BITS);
            }
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot make " + algorithm.keyType() + " keys", e);
        }
    }

    public static String checkSelector(String selector) {
        if (!SELECTOR.matcher(selector).matches()) {
            throw new IllegalArgumentException("'" + selector + "' is not a valid selector (letters, digits, '-')");
        }
        return selector;
    }

    /** The public half of a private key (RSA from its CRT parameters, Ed25519 by deriving it). */
    public static PublicKey publicKey(PrivateKey key) {
        try {
            if (key instanceof RSAPrivateCrtKey rsa) {
                return KeyFactory.getInstance("RSA").generatePublic(
                        new RSAPublicKeySpec(rsa.getModulus(), rsa.getPublicExponent()));
            }
            return Ed25519Keys.publicOf(key);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot derive the public key", e);
        }
    }

    /** Selector names proposed by keygen: the month and the algorithm, e.g. {@code ph202612r}. */
    public static String defaultSelector(DkimAlgorithm algorithm, java.time.LocalDate today) {
        return String.format(Locale.ROOT, "ph%04d%02d%s", today.getYear(), today.getMonthValue(),
                algorithm == DkimAlgorithm.RSA_SHA256 ? "r" : "e");
    }

    /** For tests and tools: an order-preserving view of what {@link #list()} returns, by record name. */
    public static Map<String, KeyInfo> byRecordName(List<KeyInfo> keys) {
        Map<String, KeyInfo> out = new LinkedHashMap<>();
        keys.forEach(k -> out.put(k.recordName(), k));
        return out;
    }
}
