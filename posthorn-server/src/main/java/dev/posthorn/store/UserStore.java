package dev.posthorn.store;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Mail accounts, their aliases and admin flags. Two implementations keep the same data: the files store
 * ({@code <dataDir>/users.json}, {@link FileDirectoryStore}) and the PostgreSQL store shared by several nodes
 * ({@code dev.posthorn.store.pg.PgDirectoryStore}).
 *
 * <p>Each account keeps an Argon2id hash for PLAIN/LOGIN and SCRAM-SHA-256 credentials, both made when the
 * password is set (SCRAM cannot work from an Argon2 hash). Addresses are compared case-insensitively: local
 * part and domain are folded to lower case. An address is an account or an alias of one account, never both.
 * Every read sees the changes committed before it, by this process or another (the CLI, another node).
 */
public interface UserStore {

    /** The files store in {@code dataDir}: the default, what {@code posthorn serve} uses without a config. */
    static UserStore open(Path dataDir) {
        return FileDirectoryStore.open(dataDir);
    }

    /** True for account addresses and aliases, case-insensitively; false for malformed addresses. */
    default boolean exists(String address) {
        return accountFor(address).isPresent();
    }

    /** The account that owns an address or alias. */
    Optional<String> accountFor(String address);

    /**
     * The addresses an account may use as envelope sender: its own address and its aliases. Empty when the
     * account is unknown. An alias given instead of the account resolves to its account.
     */
    Set<String> addressesOf(String account);

    /** The account's Argon2id PHC string; empty for unknown accounts, aliases and mailboxes without login. */
    Optional<String> passwordHash(String account);

    /** The account's SCRAM-SHA-256 credentials; empty for unknown accounts and mailboxes without login. */
    Optional<ScramCredentials> scramCredentials(String account);

    /**
     * A secret every node sharing this store reads alike, made once and kept: SCRAM makes up a salt for an
     * unknown user from it (RFC 5802 §5.1 warns that a missing salt tells who exists), and a salt that differed
     * between nodes or across a restart, where a real user's does not, would tell it too.
     */
    byte[] decoySecret();

    /** Account addresses (not aliases), sorted. */
    List<String> list();

    /** Aliases of an account, sorted; empty if unknown. */
    List<String> aliasesOf(String account);

    /** True when the account (not an alias) exists and may administer the server (console, API). */
    boolean isAdmin(String account);

    /**
     * Adds an account. A null password makes a mailbox that receives mail but cannot log in.
     *
     * @throws IllegalArgumentException if the address is malformed or the password empty
     * @throws UserStoreException if the address is already an account or alias
     */
    default void add(String address, char[] password) {
        add(address, password, false);
    }

    /** As {@link #add(String, char[])}, with the admin flag. */
    void add(String address, char[] password, boolean admin);

    /** Deletes an account with its aliases (and API tokens), or a single alias if the address is an alias. */
    void delete(String address);

    /** Replaces the password (null removes the login, keeping the mailbox). */
    void setPassword(String address, char[] password);

    /** Adds an alias to an existing account; the alias must not be an account or alias already. */
    void addAlias(String account, String alias);

    /** Grants or withdraws the admin flag of an existing account. */
    void setAdmin(String account, boolean admin);
}
