package dev.posthorn.store.pg;

import dev.posthorn.store.ApiToken;
import dev.posthorn.store.CheckedDirectoryStore;
import dev.posthorn.store.PasswordCredentials;
import dev.posthorn.store.ScramCredentials;
import dev.posthorn.store.TokenSecrets;
import dev.posthorn.store.UserStoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The directory in PostgreSQL (schema in {@code db/migration/V1__directory.sql}), shared by every node.
 *
 * <p>Nothing is cached: every look-up is one statement on a primary-key or index scan, so a user added, a
 * password changed or an account deleted on any node is what the next AUTH or RCPT on every node sees, as
 * soon as the change has committed. An indexed look-up costs a fraction of a millisecond on the pool's
 * open connections, against tens of milliseconds for the Argon2id check of a login (docs/scaling.md has the
 * measurements). All SQL is parameterised.
 */
public final class PgDirectoryStore extends CheckedDirectoryStore {

    /** PostgreSQL SQLSTATEs the store turns into refusals. */
    private static final String UNIQUE_VIOLATION = "23505";
    private static final String FOREIGN_KEY_VIOLATION = "23503";

    private final PgDatabase db;

    public PgDirectoryStore(PgDatabase db) {
        this.db = db;
    }

    private volatile byte[] decoySecret;

    /**
     * Made by the first node that asks and kept in the database: {@code ON CONFLICT DO NOTHING} lets nodes that
     * ask at once agree on the one that was stored first.
     */
    @Override
    public byte[] decoySecret() {
        byte[] secret = decoySecret;
        if (secret == null) {
            byte[] fresh = new byte[32];
            new java.security.SecureRandom().nextBytes(fresh);
            secret = db.transaction(c -> {
                try (java.sql.PreparedStatement insert = c.prepareStatement(
                        "INSERT INTO secrets (name, value) VALUES ('scram_decoy', ?) ON CONFLICT (name) DO NOTHING")) {
                    insert.setBytes(1, fresh);
                    insert.executeUpdate();
                }
                try (java.sql.PreparedStatement select = c.prepareStatement(
                        "SELECT value FROM secrets WHERE name = 'scram_decoy'");
                        java.sql.ResultSet r = select.executeQuery()) {
                    r.next();
                    return r.getBytes(1);
                }
            });
            decoySecret = secret;
        }
        return secret.clone();
    }

    @Override
    public String describe() {
        return "PostgreSQL " + db.where();
    }

    /** The database belongs to whoever opened it (it also carries the queue); closing the store leaves it open. */
    @Override
    public void close() {
    }

    // ------------------------------------------------------------------ accounts

    @Override
    protected Optional<String> findAccount(String key) {
        return db.read(c -> optionalString(c, "SELECT account FROM addresses WHERE address = ?", key));
    }

    @Override
    protected Set<String> findAddressesOf(String key) {
        return db.read(c -> Set.copyOf(strings(c, "SELECT address FROM addresses"
                + " WHERE account = (SELECT account FROM addresses WHERE address = ?)", key)));
    }

    @Override
    protected Optional<String> findPasswordHash(String key) {
        return db.read(c -> optionalString(c, "SELECT password_hash FROM accounts WHERE address = ?", key));
    }

    @Override
    protected Optional<ScramCredentials> findScramCredentials(String key) {
        return db.read(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT scram_salt, scram_iterations, scram_stored_key,"
                    + " scram_server_key FROM accounts WHERE address = ? AND scram_salt IS NOT NULL")) {
                s.setString(1, key);
                try (ResultSet r = s.executeQuery()) {
                    return r.next()
                            ? Optional.of(new ScramCredentials(r.getBytes(1), r.getInt(2), r.getBytes(3), r.getBytes(4)))
                            : Optional.empty();
                }
            }
        });
    }

    @Override
    public List<String> list() {
        return db.read(c -> strings(c, "SELECT address FROM accounts ORDER BY address"));
    }

    @Override
    protected List<String> findAliasesOf(String key) {
        return db.read(c -> strings(c, "SELECT address FROM addresses WHERE account = ? AND address <> account"
                + " ORDER BY address", key));
    }

    @Override
    protected boolean findAdmin(String key) {
        return db.read(c -> optionalString(c, "SELECT 'admin' FROM accounts WHERE address = ? AND admin", key))
                .isPresent();
    }

    @Override
    protected void storeAccount(String key, PasswordCredentials secrets, boolean admin) {
        db.transaction(c -> {
            try (PreparedStatement account = c.prepareStatement("INSERT INTO accounts (address, password_hash,"
                    + " scram_salt, scram_iterations, scram_stored_key, scram_server_key, admin)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?)");
                    PreparedStatement own = c.prepareStatement(
                            "INSERT INTO addresses (address, account) VALUES (?, ?)")) {
                account.setString(1, key);
                bind(account, 2, secrets);
                account.setBoolean(7, admin);
                own.setString(1, key);
                own.setString(2, key);
                try {
                    account.executeUpdate();
                    own.executeUpdate();
                } catch (SQLException e) {
                    refuseOnConstraint(e, addressExists(key), null);
                    throw e;
                }
            }
            return null;
        });
    }

    @Override
    protected void removeAddress(String key) {
        db.transaction(c -> {
            // An account takes its aliases and tokens with it (ON DELETE CASCADE); otherwise an alias goes alone.
            if (update(c, "DELETE FROM accounts WHERE address = ?", key) == 1) {
                return null;
            }
            if (update(c, "DELETE FROM addresses WHERE address = ? AND address <> account", key) == 0) {
                throw unknownAddress(key);
            }
            return null;
        });
    }

    @Override
    protected void storePassword(String key, PasswordCredentials secrets) {
        int changed = db.transaction(c -> {
            try (PreparedStatement s = c.prepareStatement("UPDATE accounts SET password_hash = ?, scram_salt = ?,"
                    + " scram_iterations = ?, scram_stored_key = ?, scram_server_key = ?, updated_at = now()"
                    + " WHERE address = ?")) {
                bind(s, 1, secrets);
                s.setString(6, key);
                return s.executeUpdate();
            }
        });
        if (changed == 0) {
            throw unknownAccount(key);
        }
    }

    @Override
    protected void storeAlias(String accountKey, String aliasKey) {
        db.transaction(c -> {
            int added;
            try (PreparedStatement s = c.prepareStatement(
                    "INSERT INTO addresses (address, account) SELECT ?, address FROM accounts WHERE address = ?")) {
                s.setString(1, aliasKey);
                s.setString(2, accountKey);
                added = s.executeUpdate();
            } catch (SQLException e) {
                refuseOnConstraint(e, addressExists(aliasKey), unknownAccount(accountKey));
                throw e;
            }
            if (added == 0) {
                throw unknownAccount(accountKey);
            }
            return null;
        });
    }

    @Override
    protected void storeAdmin(String key, boolean admin) {
        int changed = db.transaction(c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "UPDATE accounts SET admin = ?, updated_at = now() WHERE address = ?")) {
                s.setBoolean(1, admin);
                s.setString(2, key);
                return s.executeUpdate();
            }
        });
        if (changed == 0) {
            throw unknownAccount(key);
        }
    }

    // ------------------------------------------------------------------ domains

    @Override
    public List<String> domains() {
        return db.read(c -> strings(c, "SELECT name FROM domains ORDER BY name"));
    }

    @Override
    protected boolean findDomain(String key) {
        return db.read(c -> optionalString(c, "SELECT name FROM domains WHERE name = ?", key)).isPresent();
    }

    @Override
    protected boolean storeDomain(String key) {
        return db.transaction(c -> update(c, "INSERT INTO domains (name) VALUES (?) ON CONFLICT DO NOTHING", key)) == 1;
    }

    @Override
    protected void removeDomain(String key) {
        if (db.transaction(c -> update(c, "DELETE FROM domains WHERE name = ?", key)) == 0) {
            throw unknownDomain(key);
        }
    }

    // ------------------------------------------------------------------ API tokens

    @Override
    protected Instant storeToken(String key, String checkedName, TokenSecrets.Fresh fresh, Instant expiresAt) {
        return db.transaction(c -> {
            try (PreparedStatement s = c.prepareStatement("INSERT INTO api_tokens (id, account, name, secret_hash,"
                    + " expires_at) SELECT ?, address, ?, ?, ? FROM accounts WHERE address = ? RETURNING created_at")) {
                s.setString(1, fresh.id());
                s.setString(2, checkedName);
                s.setBytes(3, TokenSecrets.hash(fresh.secret()));
                setInstant(s, 4, expiresAt);
                s.setString(5, key);
                try (ResultSet r = s.executeQuery()) {
                    if (!r.next()) {
                        throw unknownAccount(key);
                    }
                    return r.getTimestamp(1).toInstant();
                }
            } catch (SQLException e) {
                refuseOnConstraint(e, new UserStoreException("token id collision, try again"), unknownAccount(key));
                throw e;
            }
        });
    }

    @Override
    public List<ApiToken> tokens() {
        return db.read(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT id, account, name, created_at, expires_at"
                    + " FROM api_tokens ORDER BY account, created_at, id");
                    ResultSet r = s.executeQuery()) {
                List<ApiToken> out = new ArrayList<>();
                while (r.next()) {
                    out.add(new ApiToken(r.getString(1), r.getString(2), r.getString(3), r.getTimestamp(4).toInstant(),
                            instant(r.getTimestamp(5))));
                }
                return List.copyOf(out);
            }
        });
    }

    @Override
    public void revokeToken(String id) {
        if (db.transaction(c -> update(c, "DELETE FROM api_tokens WHERE id = ?", id)) == 0) {
            throw unknownToken(id);
        }
    }

    @Override
    protected Optional<ApiToken> findGenuineToken(String id, String token) {
        return db.read(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT account, name, created_at, expires_at, secret_hash"
                    + " FROM api_tokens WHERE id = ?")) {
                s.setString(1, id);
                try (ResultSet r = s.executeQuery()) {
                    if (!r.next() || !TokenSecrets.matches(token, r.getBytes(5))) {
                        return Optional.empty();
                    }
                    return Optional.of(new ApiToken(id, r.getString(1), r.getString(2), r.getTimestamp(3).toInstant(),
                            instant(r.getTimestamp(4))));
                }
            }
        });
    }

    // ------------------------------------------------------------------ JDBC helpers

    private static Optional<String> optionalString(Connection c, String sql, String parameter) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, parameter);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? Optional.ofNullable(r.getString(1)) : Optional.empty();
            }
        }
    }

    private static List<String> strings(Connection c, String sql, String... parameters) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                s.setString(i + 1, parameters[i]);
            }
            List<String> out = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(r.getString(1));
                }
            }
            return List.copyOf(out);
        }
    }

    private static int update(Connection c, String sql, String parameter) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, parameter);
            return s.executeUpdate();
        }
    }

    private static void setInstant(PreparedStatement s, int index, Instant instant) throws SQLException {
        if (instant == null) {
            s.setNull(index, Types.TIMESTAMP_WITH_TIMEZONE);
        } else {
            s.setTimestamp(index, Timestamp.from(instant));
        }
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }

    /**
     * A constraint the request broke is the request's fault, said in the store's words; anything else is the
     * database's, and the caller rethrows it.
     */
    private static void refuseOnConstraint(SQLException e, UserStoreException onUnique,
            UserStoreException onForeignKey) {
        if (UNIQUE_VIOLATION.equals(e.getSQLState()) && onUnique != null) {
            throw onUnique;
        }
        if (FOREIGN_KEY_VIOLATION.equals(e.getSQLState()) && onForeignKey != null) {
            throw onForeignKey;
        }
    }

    /** Binds password_hash and the four SCRAM columns from {@code first} on. */
    private static void bind(PreparedStatement s, int first, PasswordCredentials secrets) throws SQLException {
        s.setString(first, secrets.argon2id());
        ScramCredentials scram = secrets.scram();
        if (scram == null) {
            s.setNull(first + 1, Types.BINARY);
            s.setNull(first + 2, Types.INTEGER);
            s.setNull(first + 3, Types.BINARY);
            s.setNull(first + 4, Types.BINARY);
        } else {
            s.setBytes(first + 1, scram.salt());
            s.setInt(first + 2, scram.iterations());
            s.setBytes(first + 3, scram.storedKey());
            s.setBytes(first + 4, scram.serverKey());
        }
    }
}
