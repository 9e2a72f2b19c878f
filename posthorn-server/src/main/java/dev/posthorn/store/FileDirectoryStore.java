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
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
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
import java.util.function.UnaryOperator;

/**
 * Mail accounts and their aliases in {@code <dataDir>/users.json}.
 *
 * <p>Each account keeps an Argon2id hash for PLAIN/LOGIN and SCRAM-SHA-256 credentials, both made when
 * the password is set (SCRAM cannot work from an Argon2 hash). Writers (the CLI, several at once, and
 * threads of one process) are serialised by an in-process lock plus {@code users.lock} held with
 * {@link FileChannel#lock()}; each writer re-reads the file under the lock, changes it and replaces it
 * atomically (temporary file, fsync, rename, fsync of the directory), so no update is lost and a reader
 * never sees half a file. Readers (the running server) notice a replaced file by its modification time,
 * size and file key, checked on each access (one {@code stat}), and reload it.
 *
 * <p>Addresses are compared case-insensitively: local part and domain are folded to lower case.
 */
public final class UserStore {

    static final String FILE_NAME = "users.json";
    static final String LOCK_NAME = "users.lock";
    private static final int FORMAT_VERSION = 1;
    private static final Map<Path, ReentrantLock> PROCESS_LOCKS = new ConcurrentHashMap<>();
    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .setDefaultPropertyInclusion(JsonInclude.Value.construct(JsonInclude.Include.NON_NULL, JsonInclude.Include.NON_NULL))
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(UserStore.class);

    private final Path dataDir;
    private final Path file;
    private final Path lockFile;
    private volatile Snapshot snapshot = Snapshot.EMPTY;

    private UserStore(Path dataDir) {
        this.dataDir = dataDir.toAbsolutePath().normalize();
        this.file = this.dataDir.resolve(FILE_NAME);
        this.lockFile = this.dataDir.resolve(LOCK_NAME);
    }

    /** Opens the store; the directory and file are created by the first {@link #add}. */
    public static UserStore open(Path dataDir) {
        UserStore store = new UserStore(dataDir);
        store.current();
        return store;
    }

    public Path file() {
        return file;
    }

    /** True for account addresses and aliases, case-insensitively; false for malformed addresses. */
    public boolean exists(String address) {
        return accountFor(address).isPresent();
    }

    /** The account that owns an address or alias. */
    public Optional<String> accountFor(String address) {
        String key = Addresses.fold(address);
        if (key == null) {
            return Optional.empty();
        }
        Snapshot s = current();
        if (s.accounts.containsKey(key)) {
            return Optional.of(key);
        }
        return Optional.ofNullable(s.aliasOwner.get(key));
    }

    /**
     * The addresses an account may use as envelope sender: its own address and its aliases. Empty when
     * the account is unknown. An alias given instead of the account resolves to its account.
     */
    public Set<String> addressesOf(String account) {
        Optional<String> owner = accountFor(account);
        if (owner.isEmpty()) {
            return Set.of();
        }
        Account a = current().accounts.get(owner.get());
        Set<String> out = new LinkedHashSet<>();
        out.add(a.address());
        out.addAll(a.aliases());
        return Set.copyOf(out);
    }

    /** The account's Argon2id PHC string; empty for unknown accounts and mailboxes without login. */
    public Optional<String> passwordHash(String account) {
        return accountRecord(account).map(Account::password);
    }

    /** The account's SCRAM-SHA-256 credentials; empty for unknown accounts and mailboxes without login. */
    public Optional<ScramCredentials> scramCredentials(String account) {
        return accountRecord(account).map(Account::scram).map(Scram::toCredentials);
    }

    /** Account addresses (not aliases), sorted. */
    public List<String> list() {
        return current().accounts.keySet().stream().sorted().toList();
    }

    /** Aliases of an account, sorted; empty if unknown. */
    public List<String> aliasesOf(String account) {
        return accountRecord(account).map(a -> a.aliases().stream().sorted().toList()).orElse(List.of());
    }

    /**
     * Adds an account. A null password makes a mailbox that receives mail but cannot log in.
     *
     * @throws IllegalArgumentException if the address is malformed
     * @throws UserStoreException if the address is already an account or alias
     */
    public void add(String address, char[] password) {
        String key = Addresses.normalize(address);
        Secrets secrets = Secrets.of(password);
        update(accounts -> {
            if (owner(accounts, key) != null) {
                throw new UserStoreException("address already exists: " + key);
            }
            accounts.put(key, new Account(key, secrets.phc, secrets.scram, List.of()));
            return accounts;
        });
    }

    /** Deletes an account with its aliases, or a single alias if the address is an alias. */
    public void delete(String address) {
        String key = Addresses.normalize(address);
        update(accounts -> {
            if (accounts.remove(key) != null) {
                return accounts;
            }
            String owner = owner(accounts, key);
            if (owner == null) {
                throw new UserStoreException("unknown address: " + key);
            }
            Account a = accounts.get(owner);
            List<String> aliases = new ArrayList<>(a.aliases());
            aliases.remove(key);
            accounts.put(owner, new Account(owner, a.password(), a.scram(), aliases));
            return accounts;
        });
    }

    /** Replaces the password (null removes the login, keeping the mailbox). */
    public void setPassword(String address, char[] password) {
        String key = Addresses.normalize(address);
        Secrets secrets = Secrets.of(password);
        update(accounts -> {
            Account a = accounts.get(key);
            if (a == null) {
                throw new UserStoreException("unknown account: " + key);
            }
            accounts.put(key, new Account(key, secrets.phc, secrets.scram, a.aliases()));
            return accounts;
        });
    }

    /** Adds an alias to an existing account; the alias must not be an account or alias already. */
    public void addAlias(String account, String alias) {
        String accountKey = Addresses.normalize(account);
        String aliasKey = Addresses.normalize(alias);
        update(accounts -> {
            Account a = accounts.get(accountKey);
            if (a == null) {
                throw new UserStoreException("unknown account: " + accountKey);
            }
            if (owner(accounts, aliasKey) != null) {
                throw new UserStoreException("address already exists: " + aliasKey);
            }
            List<String> aliases = new ArrayList<>(a.aliases());
            aliases.add(aliasKey);
            accounts.put(accountKey, new Account(accountKey, a.password(), a.scram(), aliases));
            return accounts;
        });
    }

    private Optional<Account> accountRecord(String address) {
        String key = Addresses.fold(address);
        return key == null ? Optional.empty() : Optional.ofNullable(current().accounts.get(key));
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
                    s = new Snapshot(now, s.accounts, s.aliasOwner);
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

    private Map<String, Account> read() {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Map.of();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        UsersFile parsed;
        try {
            parsed = JSON.readValue(bytes, UsersFile.class);
        } catch (IOException e) {
            throw new UncheckedIOException(file + " is not a valid users file: " + e.getMessage(), e);
        }
        Map<String, Account> accounts = new LinkedHashMap<>();
        if (parsed.accounts() != null) {
            for (Account a : parsed.accounts()) {
                String key = Addresses.normalize(a.address());
                List<String> aliases = a.aliases() == null ? List.of()
                        : a.aliases().stream().map(Addresses::normalize).toList();
                accounts.put(key, new Account(key, a.password(), a.scram(), aliases));
            }
        }
        return accounts;
    }

    /** Read-modify-write under both locks, so concurrent writers in and across processes lose nothing. */
    private void update(UnaryOperator<Map<String, Account>> change) {
        ReentrantLock processLock = PROCESS_LOCKS.computeIfAbsent(lockFile, p -> new ReentrantLock());
        processLock.lock();
        try {
            Files.createDirectories(dataDir);
            try (FileChannel lock = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                FileLock held = lock.lock(); // released when the channel closes
                Map<String, Account> accounts = change.apply(new LinkedHashMap<>(read()));
                write(accounts);
                snapshot = new Snapshot(stamp(), Map.copyOf(accounts));
                held.release();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot update " + file + ": " + e.getMessage(), e);
        } finally {
            processLock.unlock();
        }
    }

    private void write(Map<String, Account> accounts) throws IOException {
        List<Account> sorted = accounts.values().stream().sorted(Comparator.comparing(Account::address)).toList();
        byte[] bytes = JSON.writeValueAsBytes(new UsersFile(FORMAT_VERSION, sorted));
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

    /** The users file holds password hashes: readable by the owner only where the file system allows. */
    private static void createPrivateFile(Path path) throws IOException {
        try {
            Files.createFile(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(path);
        } catch (FileAlreadyExistsException e) {
            throw e;
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

    private record Snapshot(Stamp stamp, Map<String, Account> accounts, Map<String, String> aliasOwner) {
        static final Snapshot EMPTY = new Snapshot(new Stamp(FileTime.fromMillis(0), -2, null), Map.of(), Map.of());

        Snapshot(Stamp stamp, Map<String, Account> accounts) {
            this(stamp, accounts, aliases(accounts));
        }

        private static Map<String, String> aliases(Map<String, Account> accounts) {
            Map<String, String> owners = new java.util.HashMap<>();
            for (Account a : accounts.values()) {
                for (String alias : a.aliases()) {
                    owners.putIfAbsent(alias, a.address());
                }
            }
            return Map.copyOf(owners);
        }
    }

    /** Hashes computed before taking the lock (Argon2id takes a noticeable fraction of a second). */
    private record Secrets(String phc, Scram scram) {
        static Secrets of(char[] password) {
            if (password == null) {
                return new Secrets(null, null);
            }
            if (password.length == 0) {
                throw new IllegalArgumentException("empty password (omit it to create a mailbox without login)");
            }
            return new Secrets(Argon2id.hash(password), Scram.of(ScramCredentials.create(password)));
        }
    }

    // The file format. Records bind with Jackson; names are snake_case.
    record UsersFile(int version, List<Account> accounts) {
    }

    record Account(String address, String password, Scram scram, List<String> aliases) {
        Account {
            Objects.requireNonNull(address, "address");
            aliases = aliases == null ? List.of() : List.copyOf(new TreeSet<>(aliases));
        }
    }

    record Scram(String salt, int iterations, String storedKey, String serverKey) {
        static Scram of(ScramCredentials c) {
            Base64.Encoder b64 = Base64.getEncoder();
            return new Scram(b64.encodeToString(c.salt()), c.iterations(), b64.encodeToString(c.storedKey()),
                    b64.encodeToString(c.serverKey()));
        }

        ScramCredentials toCredentials() {
            Base64.Decoder b64 = Base64.getDecoder();
            return new ScramCredentials(b64.decode(salt), iterations, b64.decode(storedKey), b64.decode(serverKey));
        }
    }
}
