package dev.posthorn.policy;

import dev.posthorn.mailauth.dkim.DkimAlgorithm;
import dev.posthorn.mailauth.dkim.DkimKeyStore;
import dev.posthorn.mailauth.dkim.DkimKeys;
import dev.posthorn.mailauth.dkim.SigningKey;

import dev.posthorn.store.StoreException;
import dev.posthorn.store.pg.PgDatabase;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DKIM keys in the shared PostgreSQL database (table {@code dkim_keys}, migration V3). Here, not in mailauth,
 * which stays a leaf library (DNS and JDK crypto only); policy is the layer that uses both it and the store. a key made or activated
 * from any node signs on every node. Signing reads a snapshot of all active keys that is at most
 * {@link #VALIDITY} old, so a change reaches every node within about a second, with one query per node and
 * period, never one per message; a private key is fetched once per node, when it first signs there.
 *
 * <p>When the database does not answer, signing goes on with the last snapshot (logged as a warning, once per
 * outage and then every {@link #WARN_EVERY}): mail is neither refused nor held for want of a key it had a
 * moment ago, and one message per back-off period (counted from the failure, at least {@link #VALIDITY} and at
 * least as long as the failed read took) waits for the database. A node that never loaded keys signs nothing
 * until the database answers (each message's missing signature is logged by the caller); its messages wait at
 * most {@link #FIRST_LOAD_WAIT} for another thread's read, and none while a failed read's back-off lasts. Once the database answers again the next snapshot replaces the whole
 * previous one, so a removed or deactivated key stops signing within {@link #VALIDITY}.
 */
public final class PgDkimKeys implements DkimKeyStore {

    /**
     * The keys that go with the store {@code [store] kind} chose: the database's when it is PostgreSQL (every node
     * the same), else the files under {@code <dataDir>/dkim}.
     */
    public static DkimKeyStore forStore(dev.posthorn.store.StoreBackend backend, java.nio.file.Path dataDir) {
        return backend.database().<DkimKeyStore>map(PgDkimKeys::new).orElseGet(() -> DkimKeys.under(dataDir));
    }

    private static final Logger LOG = LoggerFactory.getLogger(PgDkimKeys.class);
    /** How old a snapshot of the active keys may be before signing asks the database again. */
    public static final Duration VALIDITY = Duration.ofMillis(500);
    private static final Duration WARN_EVERY = Duration.ofSeconds(60);

    private static final String SELECT_ACTIVE =
            "SELECT domain, selector, algorithm, created FROM dkim_keys WHERE active";

    /**
     * How long a message waits for another thread's first read of the keys (a node that has none yet). A healthy
     * read takes milliseconds; past this the message goes out unsigned (logged by the caller) rather than queueing
     * behind a read that waits out the connect timeout.
     */
    static final Duration FIRST_LOAD_WAIT = Duration.ofSeconds(1);

    private final PgDatabase db;
    private final ReentrantLock loading = new ReentrantLock();
    private volatile Snapshot snapshot;
    /** The last failed read while there is no snapshot, and until when it answers for the database. */
    private volatile Failure failed;
    /** Active keys that would not decode, by identity, with when that was last logged (System.nanoTime). */
    private final Map<String, Long> unusable = new java.util.concurrent.ConcurrentHashMap<>();
    private long failingSince;
    private long lastWarning;
    private int failures;

    /**
     * Active keys by domain, the same by identity (domain, selector, algorithm, created: a key deleted by hand and
     * made again under its selector is another key), and until when they serve (System.nanoTime).
     */
    private record Snapshot(Map<String, List<SigningKey>> byDomain, Map<String, SigningKey> byIdentity,
            long validUntil) {
    }

    private record Failure(String message, long until) {
    }

    public PgDkimKeys(PgDatabase db) {
        this.db = db;
    }

    @Override
    public String describe() {
        return "the database at " + db.where();
    }

    // ---- signing ----

    @Override
    public List<SigningKey> activeKeys(String domain) {
        return current().byDomain().getOrDefault(domain, List.of());
    }

    /**
     * The snapshot, read again once it has served its time. One thread reads while the others go on with the
     * previous snapshot. Without a snapshot yet, the others wait at most {@link #FIRST_LOAD_WAIT} for the first
     * read, and after a failed read every caller gets the failure at once until the back-off ends: at most one
     * message per back-off period waits for the database.
     */
    private Snapshot current() {
        Snapshot s = snapshot;
        if (s != null && System.nanoTime() - s.validUntil() < 0) {
            return s;
        }
        if (s == null) {
            Failure f = failed;
            if (f != null && System.nanoTime() - f.until() < 0) {
                throw new StoreException(f.message());
            }
            if (!lockFirst(f)) {
                throw new StoreException("DKIM keys: still being read from the database (no keys read yet"
                        + (f == null ? "" : "; the last read failed: " + f.message()) + ")");
            }
        } else if (!loading.tryLock()) {
            return s;
        }
        try {
            Snapshot again = snapshot;
            if (again != null && again != s) {
                return again; // another thread read it meanwhile
            }
            if (again == null) {
                Failure f = failed;
                if (f != null && System.nanoTime() - f.until() < 0) {
                    throw new StoreException(f.message()); // it failed while we waited
                }
            }
            return reload(again);
        } finally {
            loading.unlock();
        }
    }

    /** The first read's lock: waited for briefly, not at all once a read has failed (the next one would too). */
    private boolean lockFirst(Failure previous) {
        if (previous != null) {
            return loading.tryLock();
        }
        try {
            return loading.tryLock(FIRST_LOAD_WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private Snapshot reload(Snapshot previous) {
        long now = System.nanoTime();
        Snapshot fresh;
        try {
            fresh = db.read(c -> readActive(c, previous, now));
        } catch (StoreException e) {
            // Asked again after a back-off counted from the failure, not from the start of the read (which may
            // have waited out the connect timeout), and at least as long as the read took: one caller waits per
            // period, the others sign with the kept snapshot (or go unsigned without one) meanwhile.
            long after = System.nanoTime();
            long until = after + Math.max(VALIDITY.toNanos(), after - now);
            failures++;
            if (failures == 1) {
                failingSince = now;
            }
            if (failures == 1 || now - lastWarning >= WARN_EVERY.toNanos()) {
                lastWarning = now;
                LOG.warn("DKIM keys: cannot read them ({} attempts failed in {} s); {}: {}",
                        failures, (now - failingSince) / 1_000_000_000L,
                        previous == null ? "no keys read yet, mail goes out unsigned"
                                : "signing with the keys read last", e.getMessage());
            }
            if (previous == null) {
                failed = new Failure("DKIM keys unreadable: " + e.getMessage(), until);
                throw e; // no keys yet: the caller logs the unsigned message
            }
            Snapshot kept = new Snapshot(previous.byDomain(), previous.byIdentity(), until);
            snapshot = kept;
            return kept;
        }
        if (failures > 0) {
            LOG.info("DKIM keys: the database answers again after {} failed reads", failures);
            failures = 0;
        }
        failed = null;
        snapshot = fresh;
        return fresh;
    }

    /**
     * The active keys. Only their names are read at every refresh; a private key crosses the network (and is
     * decoded) when a key is new to this node, not twice a second.
     */
    private Snapshot readActive(Connection c, Snapshot previous, long now) throws SQLException {
        Map<String, SigningKey> known = previous == null ? Map.of() : previous.byIdentity();
        List<String[]> active = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement(SELECT_ACTIVE); ResultSet r = s.executeQuery()) {
            while (r.next()) {
                active.add(new String[] {r.getString(1), r.getString(2), r.getString(3), r.getString(4)});
            }
        }
        Map<String, List<SigningKey>> byDomain = new HashMap<>();
        Map<String, SigningKey> byIdentity = new HashMap<>();
        for (String[] row : active) {
            String domain = row[0];
            String selector = row[1];
            DkimAlgorithm algorithm = DkimAlgorithm.ofKeyType(row[2]);
            String identity = String.join(" ", row);
            SigningKey key = known.get(identity);
            if (key == null && !stillUnusable(identity, selector, domain)) {
                key = readKey(c, identity, domain, selector, algorithm);
            }
            if (key != null) {
                byDomain.computeIfAbsent(domain, d -> new ArrayList<>()).add(key);
                byIdentity.put(identity, key);
            }
        }
        // Ed25519 first, as the files store orders them.
        byDomain.replaceAll((d, keys) -> keys.stream()
                .sorted(Comparator.comparing(k -> k.algorithm() == DkimAlgorithm.ED25519_SHA256 ? 0 : 1)).toList());
        unusable.keySet().retainAll(active.stream().map(row -> String.join(" ", row)).toList());
        return new Snapshot(Map.copyOf(byDomain), Map.copyOf(byIdentity), now + VALIDITY.toNanos());
    }

    /**
     * Whether an active key already failed to decode: it is not fetched again at every refresh (the same bytes
     * would fail the same way), and is logged once per {@link #WARN_EVERY} while it stays active.
     */
    private boolean stillUnusable(String identity, String selector, String domain) {
        Long warned = unusable.get(identity);
        if (warned == null) {
            return false;
        }
        long now = System.nanoTime();
        if (now - warned >= WARN_EVERY.toNanos()) {
            unusable.put(identity, now);
            LOG.warn("DKIM key {} of {} in the database is still not a usable key: mail for {} is not signed with it",
                    selector, domain, domain);
        }
        return true;
    }

    /** One key's private half; null (and a warning) when it is gone meanwhile or is not a key. */
    private SigningKey readKey(Connection c, String identity, String domain, String selector, DkimAlgorithm algorithm)
            throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "SELECT private_key FROM dkim_keys WHERE domain = ? AND selector = ? AND algorithm = ?")) {
            s.setString(1, domain);
            s.setString(2, selector);
            s.setString(3, algorithm.keyType());
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    return null; // removed between the two reads: the next refresh has the truth
                }
                PrivateKey key = DkimKeys.decodePrivate(r.getBytes(1), algorithm);
                return new SigningKey(domain, selector, algorithm, key, DkimKeys.publicKey(key));
            } catch (GeneralSecurityException | RuntimeException e) {
                LOG.warn("DKIM key {} of {} in the database is not a PKCS#8 {} key: not used: {}", selector, domain,
                        algorithm.keyType(), e.toString());
                unusable.put(identity, System.nanoTime());
                return null;
            }
        }
    }

    /** After a change made through this object: this node sees it at its next message. */
    private void invalidate() {
        Snapshot s = snapshot;
        if (s != null) {
            snapshot = new Snapshot(s.byDomain(), s.byIdentity(), System.nanoTime());
        }
    }

    // ---- management ----

    @Override
    public DkimKeys.KeyInfo generate(String domain, String selector, DkimAlgorithm algorithm) {
        String d = DkimKeys.checkDomain(domain);
        DkimKeys.checkSelector(selector);
        KeyPair pair = DkimKeys.newKeyPair(algorithm);
        boolean active = insert(d, selector, algorithm, pair.getPrivate().getEncoded());
        invalidate();
        return new DkimKeys.KeyInfo(d, selector, algorithm, active, null, pair.getPublic());
    }

    /**
     * Inserts a new key under the domain's lock, active when the domain has no active key of the algorithm yet.
     * An existing selector is refused, whatever its algorithm (as the files store does).
     */
    private boolean insert(String domain, String selector, DkimAlgorithm algorithm, byte[] pkcs8) {
        return db.transaction(c -> {
            lockDomain(c, domain);
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT algorithm FROM dkim_keys WHERE domain = ? AND selector = ?")) {
                s.setString(1, domain);
                s.setString(2, selector);
                try (ResultSet r = s.executeQuery()) {
                    if (r.next()) {
                        throw new IllegalArgumentException("selector " + selector + " of " + domain
                                + " already has a key: choose another selector");
                    }
                }
            }
            try (PreparedStatement s = c.prepareStatement("""
                    INSERT INTO dkim_keys (domain, selector, algorithm, private_key, active)
                    VALUES (?, ?, ?, ?, NOT EXISTS (SELECT 1 FROM dkim_keys
                                                    WHERE domain = ? AND algorithm = ? AND active))
                    RETURNING active""")) {
                s.setString(1, domain);
                s.setString(2, selector);
                s.setString(3, algorithm.keyType());
                s.setBytes(4, pkcs8);
                s.setString(5, domain);
                s.setString(6, algorithm.keyType());
                try (ResultSet r = s.executeQuery()) {
                    r.next();
                    return r.getBoolean(1);
                }
            }
        });
    }

    /**
     * Changes to one domain's keys are serialized by a transaction-scoped advisory lock, so that two nodes
     * rotating at once both succeed in turn (the later one wins); the unique index would refuse the second
     * otherwise, and is the guarantee should anything bypass this lock.
     */
    private static void lockDomain(Connection c, String domain) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext('posthorn dkim ' || ?))")) {
            s.setString(1, domain);
            s.execute();
        }
    }

    @Override
    public DkimKeys.KeyInfo activate(String domain, String selector) {
        String d = DkimKeys.checkDomain(domain);
        DkimKeys.KeyInfo info = db.transaction(c -> {
            lockDomain(c, d);
            DkimAlgorithm algorithm;
            byte[] pkcs8;
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT algorithm, private_key FROM dkim_keys WHERE domain = ? AND selector = ?")) {
                s.setString(1, d);
                s.setString(2, selector);
                try (ResultSet r = s.executeQuery()) {
                    if (!r.next()) {
                        throw new IllegalArgumentException("no key with selector " + selector + " for " + d
                                + " in " + describe());
                    }
                    algorithm = DkimAlgorithm.ofKeyType(r.getString(1));
                    pkcs8 = r.getBytes(2);
                }
            }
            // Two statements: the unique index is checked row by row, so the old key goes first.
            try (PreparedStatement s = c.prepareStatement(
                    "UPDATE dkim_keys SET active = false WHERE domain = ? AND algorithm = ? AND active")) {
                s.setString(1, d);
                s.setString(2, algorithm.keyType());
                s.executeUpdate();
            }
            try (PreparedStatement s = c.prepareStatement(
                    "UPDATE dkim_keys SET active = true WHERE domain = ? AND selector = ?")) {
                s.setString(1, d);
                s.setString(2, selector);
                s.executeUpdate();
            }
            return new DkimKeys.KeyInfo(d, selector, algorithm, true, null, publicOf(pkcs8, algorithm));
        });
        invalidate();
        return info;
    }

    @Override
    public List<DkimKeys.KeyInfo> list() {
        return query("SELECT domain, selector, algorithm, private_key, active FROM dkim_keys ORDER BY domain, selector",
                null);
    }

    @Override
    public List<DkimKeys.KeyInfo> list(String domain) {
        return query("SELECT domain, selector, algorithm, private_key, active FROM dkim_keys WHERE domain = ?"
                + " ORDER BY selector", domain.toLowerCase(java.util.Locale.ROOT));
    }

    private List<DkimKeys.KeyInfo> query(String sql, String domain) {
        return db.read(c -> {
            List<DkimKeys.KeyInfo> out = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement(sql)) {
                if (domain != null) {
                    s.setString(1, domain);
                }
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        DkimAlgorithm algorithm = DkimAlgorithm.ofKeyType(r.getString(3));
                        out.add(new DkimKeys.KeyInfo(r.getString(1), r.getString(2), algorithm, r.getBoolean(5), null,
                                publicOf(r.getBytes(4), algorithm)));
                    }
                }
            }
            return out;
        });
    }

    private static java.security.PublicKey publicOf(byte[] pkcs8, DkimAlgorithm algorithm) {
        try {
            return DkimKeys.publicKey(DkimKeys.decodePrivate(pkcs8, algorithm));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("a DKIM key in the database is not a PKCS#8 " + algorithm.keyType()
                    + " key", e);
        }
    }

    // ---- import ----

    /** What {@link #importFrom} did with one key file. */
    public enum Outcome {
        /** Added to the database. */
        IMPORTED,
        /** The database has this selector with these very bytes: nothing to do. */
        SAME_KEY,
        /** The database has another key under this selector: left as it is, for the administrator to settle. */
        DIFFERENT_KEY
    }

    /** One key file and what became of it; {@code active} when it was imported as the signing key. */
    public record Imported(DkimKeys.KeyInfo key, Outcome outcome, boolean active) {
        public boolean added() {
            return outcome == Outcome.IMPORTED;
        }
    }

    /**
     * Copies a node's key files into the database, once: a selector the database already has for the domain is
     * left as it is (so running it again, or from a second node, changes nothing), and reported as the same key
     * or, when another node imported another key under it first, as a conflict. A key active on disk is active
     * in the database unless the domain already has an active key of its algorithm there.
     */
    public List<Imported> importFrom(DkimKeys files) throws IOException {
        List<Imported> out = new ArrayList<>();
        for (DkimKeys.KeyInfo key : files.list()) {
            byte[] pkcs8 = DkimKeys.readPrivate(key.file(), key.algorithm()).getEncoded();
            out.add(db.transaction(c -> {
                lockDomain(c, key.domain());
                try (PreparedStatement s = c.prepareStatement("""
                        INSERT INTO dkim_keys (domain, selector, algorithm, private_key, active)
                        VALUES (?, ?, ?, ?, ? AND NOT EXISTS (SELECT 1 FROM dkim_keys
                                                              WHERE domain = ? AND algorithm = ? AND active))
                        ON CONFLICT (domain, selector) DO NOTHING
                        RETURNING active""")) {
                    s.setString(1, key.domain());
                    s.setString(2, key.selector());
                    s.setString(3, key.algorithm().keyType());
                    s.setBytes(4, pkcs8);
                    s.setBoolean(5, key.active());
                    s.setString(6, key.domain());
                    s.setString(7, key.algorithm().keyType());
                    try (ResultSet r = s.executeQuery()) {
                        if (r.next()) {
                            return new Imported(key, Outcome.IMPORTED, r.getBoolean(1));
                        }
                    }
                }
                try (PreparedStatement s = c.prepareStatement(
                        "SELECT private_key, active FROM dkim_keys WHERE domain = ? AND selector = ?")) {
                    s.setString(1, key.domain());
                    s.setString(2, key.selector());
                    try (ResultSet r = s.executeQuery()) {
                        r.next(); // under the domain's lock: the conflicting row is there
                        boolean same = java.util.Arrays.equals(r.getBytes(1), pkcs8);
                        return new Imported(key, same ? Outcome.SAME_KEY : Outcome.DIFFERENT_KEY, same && r.getBoolean(2));
                    }
                }
            }));
        }
        invalidate();
        return out;
    }
}
