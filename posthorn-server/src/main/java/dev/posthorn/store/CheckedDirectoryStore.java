package dev.posthorn.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The {@link DirectoryStore} contract's checks, made once for every store: addresses and domains folded to lower
 * case and their syntax checked ({@link Addresses}), passwords turned into credentials or refused
 * ({@link PasswordCredentials}), token names checked and tokens made ({@link TokenSecrets}), expired tokens
 * refused, and the refusals worded alike. A store extends this and keeps only what is its own: where the data
 * lives. Look-ups with a malformed address or domain find nothing and reach no store; changes with one throw
 * {@link IllegalArgumentException} before any store is touched.
 */
public abstract class CheckedDirectoryStore implements DirectoryStore {

    // ------------------------------------------------------------------ accounts

    @Override
    public final Optional<String> accountFor(String address) {
        String key = Addresses.fold(address);
        return key == null ? Optional.empty() : findAccount(key);
    }

    @Override
    public final Set<String> addressesOf(String account) {
        String key = Addresses.fold(account);
        return key == null ? Set.of() : findAddressesOf(key);
    }

    @Override
    public final Optional<String> passwordHash(String account) {
        String key = Addresses.fold(account);
        return key == null ? Optional.empty() : findPasswordHash(key);
    }

    @Override
    public final Optional<ScramCredentials> scramCredentials(String account) {
        String key = Addresses.fold(account);
        return key == null ? Optional.empty() : findScramCredentials(key);
    }

    @Override
    public final List<String> aliasesOf(String account) {
        String key = Addresses.fold(account);
        return key == null ? List.of() : findAliasesOf(key);
    }

    @Override
    public final boolean isAdmin(String account) {
        String key = Addresses.fold(account);
        return key != null && findAdmin(key);
    }

    @Override
    public final void add(String address, char[] password, boolean admin) {
        String key = Addresses.normalize(address);
        storeAccount(key, PasswordCredentials.of(password), admin);
    }

    @Override
    public final void delete(String address) {
        removeAddress(Addresses.normalize(address));
    }

    @Override
    public final void setPassword(String address, char[] password) {
        String key = Addresses.normalize(address);
        storePassword(key, PasswordCredentials.of(password));
    }

    @Override
    public final void addAlias(String account, String alias) {
        String accountKey = Addresses.normalize(account);
        String aliasKey = Addresses.normalize(alias);
        storeAlias(accountKey, aliasKey);
    }

    @Override
    public final void setAdmin(String account, boolean admin) {
        storeAdmin(Addresses.normalize(account), admin);
    }

    /** The account owning a folded address or alias. */
    protected abstract Optional<String> findAccount(String key);

    /** The account's address and aliases, for a folded account address or alias; empty if unknown. */
    protected abstract Set<String> findAddressesOf(String key);

    protected abstract Optional<String> findPasswordHash(String key);

    protected abstract Optional<ScramCredentials> findScramCredentials(String key);

    /** Sorted. */
    protected abstract List<String> findAliasesOf(String key);

    protected abstract boolean findAdmin(String key);

    /** @throws UserStoreException {@link #addressExists} */
    protected abstract void storeAccount(String key, PasswordCredentials secrets, boolean admin);

    /** @throws UserStoreException {@link #unknownAddress} */
    protected abstract void removeAddress(String key);

    /** @throws UserStoreException {@link #unknownAccount} */
    protected abstract void storePassword(String key, PasswordCredentials secrets);

    /** @throws UserStoreException {@link #unknownAccount}, {@link #addressExists} for the alias */
    protected abstract void storeAlias(String accountKey, String aliasKey);

    /** @throws UserStoreException {@link #unknownAccount} */
    protected abstract void storeAdmin(String key, boolean admin);

    // ------------------------------------------------------------------ domains

    @Override
    public final boolean hostsDomain(String domain) {
        String key = Addresses.foldDomain(domain);
        return key != null && findDomain(key);
    }

    @Override
    public final boolean addDomain(String domain) {
        return storeDomain(Addresses.normalizeDomain(domain));
    }

    @Override
    public final void deleteDomain(String domain) {
        removeDomain(Addresses.normalizeDomain(domain));
    }

    protected abstract boolean findDomain(String key);

    /** False when the domain was stored already. */
    protected abstract boolean storeDomain(String key);

    /** @throws UserStoreException {@link #unknownDomain} */
    protected abstract void removeDomain(String key);

    // ------------------------------------------------------------------ API tokens

    @Override
    public final IssuedToken createToken(String account, String name, Instant expiresAt) {
        String key = Addresses.normalize(account);
        String checkedName = TokenSecrets.checkName(name);
        TokenSecrets.Fresh fresh = TokenSecrets.create();
        Instant created = storeToken(key, checkedName, fresh, expiresAt);
        return new IssuedToken(new ApiToken(fresh.id(), key, checkedName, created, expiresAt), fresh.secret());
    }

    @Override
    public final Optional<ApiToken> verifyToken(String token, Instant now) {
        String id = TokenSecrets.idOf(token);
        if (id == null) {
            return Optional.empty();
        }
        return findGenuineToken(id, token).filter(record -> !record.expiredAt(now));
    }

    /**
     * Keeps a new token's hash for an account; when it was created.
     *
     * @throws UserStoreException {@link #unknownAccount}
     */
    protected abstract Instant storeToken(String account, String name, TokenSecrets.Fresh fresh, Instant expiresAt);

    /** The token's record when a token with this id is stored, its hash matches and its account exists. */
    protected abstract Optional<ApiToken> findGenuineToken(String id, String token);

    // ------------------------------------------------------------------ refusals, in the same words everywhere

    protected static UserStoreException addressExists(String key) {
        return new UserStoreException("address already exists: " + key);
    }

    protected static UserStoreException unknownAddress(String key) {
        return new UserStoreException("unknown address: " + key);
    }

    protected static UserStoreException unknownAccount(String key) {
        return new UserStoreException("unknown account: " + key);
    }

    protected static UserStoreException unknownDomain(String key) {
        return new UserStoreException("unknown domain: " + key);
    }

    protected static UserStoreException unknownToken(String id) {
        return new UserStoreException("unknown token: " + id);
    }
}
