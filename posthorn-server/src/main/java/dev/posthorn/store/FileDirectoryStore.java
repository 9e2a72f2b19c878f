package dev.posthorn.store;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The directory in {@code <dataDir>/users.json}: accounts with their aliases and admin flags, stored domains
 * and API token hashes. The store of a single node, and the default.
 *
 * <p>Writers (the CLI, several at once, and threads of one process) are serialised by an in-process lock plus
 * {@code users.lock} held with {@link FileChannel#lock()}; each writer re-reads the file under the lock,
 * changes it and replaces it atomically (temporary file, fsync, rename, fsync of the directory), so no update
 * is lost and a reader never sees half a file. Readers (the running server) notice a replaced file by its
 * modification time, size and file key, checked on each access (one {@code stat}), and reload it.
 */
public final class FileDirectoryStore extends CheckedDirectoryStore {

    static final String FILE_NAME = "users.json";
    static final String LOCK_NAME = "users.lock";
    private static final int FORMAT_VERSION = 1;
    private static final Map<Path, ReentrantLock> PROCESS_LOCKS = new ConcurrentHashMap<>();
    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .setDefaultPropertyInclusion(JsonInclude.Value.construct(JsonInclude.Include.NON_NULL, JsonInclude.Include.NON_NULL))
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(FileDirectoryStore.class);

    private final Path dataDir;
    private final Path file;
    private final Path lockFile;
    private volatile Snapshot snapshot = Snapshot.EMPTY;

    private FileDirectoryStore(Path dataDir) {
        this.dataDir = dataDir.toAbsolutePath().normalize();
        this.file = this.dataDir.resolve(FILE_NAME);
        this.lockFile = this.dataDir.resolve(LOCK_NAME);
    }

    /** Opens the store; the directory and file are created by the first change. */
    public static FileDirectoryStore open(Path dataDir) {
        FileDirectoryStore store = new FileDirectoryStore(dataDir);
        store.current();
        return store;
    }

    public Path file() {
        return file;
    }

    @Override
    public String describe() {
        return file.toString();
    }

    @Override
    public void close() {
        // Nothing held between calls.
    }

    // ------------------------------------------------------------------ accounts

    @Override
    protected Optional<String> findAccount(String key) {
        Snapshot s = current();
        if (s.contents.accounts.containsKey(key)) {
            return Optional.of(key);
        }
        return Optional.ofNullable(s.aliasOwner.get(key));
    }

    @Override
    protected Set<String> findAddressesOf(String key) {
        Optional<String> owner = findAccount(key);
        if (owner.isEmpty()) {
            return Set.of();
        }
        Account a = current().contents.accounts.get(owner.get());
        if (a == null) {
            return Set.of(); // replaced between the two reads
        }
        Set<String> out = new LinkedHashSet<>();
        out.add(a.address());
        out.addAll(a.aliases());
        return Set.copyOf(out);
    }

    @Override
    protected Optional<String> findPasswordHash(String key) {
        return accountRecord(key).map(Account::password);
    }

    @Override
    protected Optional<ScramCredentials> findScramCredentials(String key) {
        return accountRecord(key).map(Account::scram).map(Scram::toCredentials);
    }

    @Override
    public List<String> list() {
        return current().contents.accounts.keySet().stream().sorted().toList();
    }

    @Override
    protected List<String> findAliasesOf(String key) {
        return accountRecord(key).map(a -> a.aliases().stream().sorted().toList()).orElse(List.of());
    }

    @Override
    protected boolean findAdmin(String key) {
        return accountRecord(key).map(Account::isAdmin).orElse(false);
    }

    @Override
    protected void storeAccount(String key, PasswordCredentials secrets, boolean admin) {
        update(c -> {
            if (owner(c.accounts, key) != null) {
                throw addressExists(key);
            }
            c.accounts.put(key, new Account(key, secrets.argon2id(), Scram.of(secrets.scram()), List.of(), admin ? Boolean.TRUE : null));
        });
    }

    @Override
    protected void removeAddress(String key) {
        update(c -> {
            if (c.accounts.remove(key) != null) {
                c.tokens.values().removeIf(t -> t.account().equals(key));
                return;
            }
            String owner = owner(c.accounts, key);
            if (owner == null) {
                throw unknownAddress(key);
            }
            Account a = c.accounts.get(owner);
            List<String> aliases = new ArrayList<>(a.aliases());
            aliases.remove(key);
            c.accounts.put(owner, a.withAliases(aliases));
        });
    }

    @Override
    protected void storePassword(String key, PasswordCredentials secrets) {
        update(c -> {
            Account a = existing(c, key);
            c.accounts.put(key, new Account(key, secrets.argon2id(), Scram.of(secrets.scram()), a.aliases(), a.admin()));
        });
    }

    @Override
    protected void storeAlias(String accountKey, String aliasKey) {
        update(c -> {
            Account a = existing(c, accountKey);
            if (owner(c.accounts, aliasKey) != null) {
                throw addressExists(aliasKey);
            }
            List<String> aliases = new ArrayList<>(a.aliases());
            aliases.add(aliasKey);
            c.accounts.put(accountKey, a.withAliases(aliases));
        });
    }

    @Override
    protected void storeAdmin(String key, boolean admin) {
        update(c -> {
            Account a = existing(c, key);
            c.accounts.put(key, new Account(key, a.password(), a.scram(), a.aliases(), admin ? Boolean.TRUE : null));
        });
    }

    private static Account existing(Contents c, String key) {
        Account a = c.accounts.get(key);
        if (a == null) {
            throw unknownAccount(key);
        }
        return a;
    }

    private Optional<Account> accountRecord(String key) {
        return Optional.ofNullable(current().contents.accounts.get(key));
    }

    private static String owner(Map<String, Account> accounts, String key) {
        if (accounts.containsKey(key)) {
            return key;
        }
        for (Account a : accounts.values()) {
            if (a.aliases().contains(key)) {
                return a.address();
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ domains

    @Override
    public List<String> domains() {
        return List.copyOf(current().contents.domains);
    }

    @Override
    protected boolean findDomain(String key) {
        return current().contents.domains.contains(key);
    }

    @Override
    protected boolean storeDomain(String key) {
        if (findDomain(key)) {
            return false; // no write (and no lock) for a domain that is there
        }
        boolean[] added = new boolean[1];
        update(c -> added[0] = c.domains.add(key));
        return added[0];
    }

    @Override
    protected void removeDomain(String key) {
        update(c -> {
            if (!c.domains.remove(key)) {
                throw unknownDomain(key);
            }
        });
    }

    // ------------------------------------------------------------------ API tokens

    @Override
    protected Instant storeToken(String account, String name, TokenSecrets.Fresh fresh, Instant expiresAt) {
        Instant now = Instant.now();
        Token token = new Token(fresh.id(), account, name,
                Base64.getEncoder().encodeToString(TokenSecrets.hash(fresh.secret())), now.toString(),
                expiresAt == null ? null : expiresAt.toString());
        update(c -> {
            existing(c, account);
            c.tokens.put(token.id(), token);
        });
        return now;
    }

    @Override
    public List<ApiToken> tokens() {
        return current().contents.tokens.values().stream().map(Token::toApiToken)
                .sorted(Comparator.comparing(ApiToken::account).thenComparing(ApiToken::createdAt)
                        .thenComparing(ApiToken::id))
                .toList();
    }

    @Override
    public void revokeToken(String id) {
        update(c -> {
            if (c.tokens.remove(id) == null) {
                throw unknownToken(id);
            }
        });
    }

    @Override
    protected Optional<ApiToken> findGenuineToken(String id, String token) {
        Snapshot s = current();
        Token stored = s.contents.tokens.get(id);
        if (stored == null || !TokenSecrets.matches(token, Base64.getDecoder().decode(stored.hash()))
                || !s.contents.accounts.containsKey(stored.account())) {
            return Optional.empty();
        }
        return Optional.of(stored.toApiToken());
    }

    // ------------------------------------------------------------------ the file

    /** The snapshot matching the file now on disk, reloading it if the file changed. */
    private Snapshot current() {
        Snapshot s = snapshot;
        Stamp now = stamp();
        if (now.equals(s.stamp)) {
            return s;
        }
        synchronized (this) {
            s = snapshot;
            now = stamp();
            if (!now.equals(s.stamp)) {
                try {
                    s = new Snapshot(now, read());
                } catch (UncheckedIOException | IllegalArgumentException e) {
                    if (s == Snapshot.EMPTY) {
                        throw e;
                    }
                    // A hand-edited file with a mistake must not lock every user out of a running server.
                    LOG.warn("users: keeping the accounts loaded before, {} cannot be used: {}", file, e.getMessage());
                    s = new Snapshot(now, s.contents, s.aliasOwner);
                }
                snapshot = s;
            }
            return s;
        }
    }

    private Stamp stamp() {
        try {
            BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
            return new Stamp(attrs.lastModifiedTime(), attrs.size(), attrs.fileKey());
        } catch (NoSuchFileException e) {
            return Stamp.ABSENT;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private Contents read() {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return new Contents();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        UsersFile parsed;
        try {
            parsed = JSON.readValue(bytes, UsersFile.class);
        } catch (IOException e) {
            throw new UncheckedIOException(file + " is not a valid users file: " + e.getMessage(), e);
        }
        Contents c = new Contents();
        if (parsed.accounts() != null) {
            for (Account a : parsed.accounts()) {
                String key = Addresses.normalize(a.address());
                List<String> aliases = a.aliases() == null ? List.of()
                        : a.aliases().stream().map(Addresses::normalize).toList();
                c.accounts.put(key, new Account(key, a.password(), a.scram(), aliases, a.admin()));
            }
        }
        if (parsed.domains() != null) {
            parsed.domains().stream().map(Addresses::normalizeDomain).forEach(c.domains::add);
        }
        if (parsed.tokens() != null) {
            for (Token t : parsed.tokens()) {
                c.tokens.put(checked(t).id(), t);
            }
        }
        return c;
    }

    /** A token entry must be whole: a hand-edited file with a broken one is refused like any broken file. */
    private Token checked(Token t) {
        try {
            if (t.id() == null || t.account() == null || t.name() == null) {
                throw new IllegalArgumentException("id, account and name are required");
            }
            if (Base64.getDecoder().decode(t.hash()).length != 32) {
                throw new IllegalArgumentException("hash is not a SHA-256 in base64");
            }
            t.toApiToken(); // the times parse
            return t;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + ": token " + t.id() + " cannot be used: " + e.getMessage(), e);
        }
    }

    /** Read-modify-write under both locks, so concurrent writers in and across processes lose nothing. */
    private void update(Consumer<Contents> change) {
        ReentrantLock processLock = PROCESS_LOCKS.computeIfAbsent(lockFile, p -> new ReentrantLock());
        processLock.lock();
        try {
            Files.createDirectories(dataDir);
            try (FileChannel lock = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                FileLock held = lock.lock(); // released when the channel closes
                Contents contents = read();
                change.accept(contents);
                write(contents);
                snapshot = new Snapshot(stamp(), contents);
                held.release();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot update " + file + ": " + e.getMessage(), e);
        } finally {
            processLock.unlock();
        }
    }

    private void write(Contents contents) throws IOException {
        List<Account> accounts = contents.accounts.values().stream()
                .sorted(Comparator.comparing(Account::address)).toList();
        List<Token> tokens = contents.tokens.values().stream().sorted(Comparator.comparing(Token::id)).toList();
        byte[] bytes = JSON.writeValueAsBytes(new UsersFile(FORMAT_VERSION, accounts,
                contents.domains.isEmpty() ? null : List.copyOf(contents.domains), tokens.isEmpty() ? null : tokens));
        Path tmp = dataDir.resolve(FILE_NAME + ".tmp-" + ProcessHandle.current().pid() + "-" + Thread.currentThread().threadId());
        Files.deleteIfExists(tmp);
        createPrivateFile(tmp);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                ch.write(buffer);
            }
            ch.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
        fsyncDirectory(dataDir);
    }

    private volatile byte[] decoySecret;

    /** Kept in {@code <data_dir>/scram-decoy-secret} (0600), so it outlives a restart. */
    @Override
    public byte[] decoySecret() {
        byte[] secret = decoySecret;
        if (secret == null) {
            Path path = dataDir.resolve("scram-decoy-secret");
            try {
                if (!Files.exists(path)) {
                    byte[] fresh = new byte[32];
                    new java.security.SecureRandom().nextBytes(fresh);
                    Path tmp = dataDir.resolve("scram-decoy-secret.tmp-" + ProcessHandle.current().pid());
                    Files.deleteIfExists(tmp);
                    createPrivateFile(tmp);
                    Files.write(tmp, fresh);
                    try {
                        Files.move(tmp, path); // no replace: a secret another process stored first wins
                    } catch (java.nio.file.FileAlreadyExistsException e) {
                        Files.deleteIfExists(tmp);
                    }
                    fsyncDirectory(dataDir);
                }
                secret = Files.readAllBytes(path);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot keep " + path + ": " + e.getMessage(), e);
            }
            decoySecret = secret;
        }
        return secret.clone();
    }

    /** The users file holds password hashes: readable by the owner only where the file system allows. */
    private static void createPrivateFile(Path path) throws IOException {
        try {
            Files.createFile(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(path);
        }
    }

    /** Makes the rename durable (POSIX: the directory entry lives in the directory). */
    static void fsyncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some platforms (Windows) cannot open a directory; the rename is as durable as they allow.
        }
    }

    private record Stamp(FileTime modified, long size, Object fileKey) {
        static final Stamp ABSENT = new Stamp(FileTime.fromMillis(0), -1, null);
    }

    /** What the file holds, mutable only while an update builds it; a snapshot's contents are never changed. */
    private static final class Contents {
        final Map<String, Account> accounts = new LinkedHashMap<>();
        final TreeSet<String> domains = new TreeSet<>();
        final Map<String, Token> tokens = new LinkedHashMap<>();
    }

    private record Snapshot(Stamp stamp, Contents contents, Map<String, String> aliasOwner) {
        static final Snapshot EMPTY = new Snapshot(new Stamp(FileTime.fromMillis(0), -2, null), new Contents(), Map.of());

        Snapshot(Stamp stamp, Contents contents) {
            this(stamp, contents, aliases(contents.accounts));
        }

        private static Map<String, String> aliases(Map<String, Account> accounts) {
            Map<String, String> owners = new HashMap<>();
            for (Account a : accounts.values()) {
                for (String alias : a.aliases()) {
                    owners.putIfAbsent(alias, a.address());
                }
            }
            return Map.copyOf(owners);
        }
    }

    // The file format. Records bind with Jackson; names are snake_case. Fields added later (admin, domains,
    // tokens) are absent when empty, so a file without them reads as before.
    record UsersFile(int version, List<Account> accounts, List<String> domains, List<Token> tokens) {
    }

    record Account(String address, String password, Scram scram, List<String> aliases, Boolean admin) {
        Account {
            Objects.requireNonNull(address, "address");
            aliases = aliases == null ? List.of() : List.copyOf(new TreeSet<>(aliases));
            admin = Boolean.TRUE.equals(admin) ? Boolean.TRUE : null;
        }

        boolean isAdmin() {
            return admin != null;
        }

        Account withAliases(List<String> newAliases) {
            return new Account(address, password, scram, newAliases, admin);
        }
    }

    record Scram(String salt, int iterations, String storedKey, String serverKey) {
        static Scram of(ScramCredentials c) {
            if (c == null) {
                return null;
            }
            Base64.Encoder b64 = Base64.getEncoder();
            return new Scram(b64.encodeToString(c.salt()), c.iterations(), b64.encodeToString(c.storedKey()),
                    b64.encodeToString(c.serverKey()));
        }

        ScramCredentials toCredentials() {
            Base64.Decoder b64 = Base64.getDecoder();
            return new ScramCredentials(b64.decode(salt), iterations, b64.decode(storedKey), b64.decode(serverKey));
        }
    }

    /** An API token: SHA-256 of the token in base64, times as ISO-8601 instants. */
    record Token(String id, String account, String name, String hash, String created, String expires) {
        ApiToken toApiToken() {
            return new ApiToken(id, account, name, Instant.parse(created), expires == null ? null : Instant.parse(expires));
        }
    }
}
