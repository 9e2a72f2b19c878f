package dev.posthorn.auth;

import dev.posthorn.store.ScramCredentials;
import dev.posthorn.store.UserStore;
import java.util.Optional;
import java.util.Set;

/**
 * The composite credential source: accounts in the {@link UserStore} first, then users of an optional
 * {@link PasswdFile}. A user in the store is never looked up in the passwd file, so a password there
 * cannot open an account whose password is set (or deliberately absent) in the store.
 */
final class Credentials implements CredentialStore {

    /**
     * Checked when the user is unknown, so that a wrong user name costs as much time as a wrong password
     * and the answer time does not tell which users exist.
     */
    private static final String DUMMY_HASH = PasswordHashes.hash("posthorn-dummy".toCharArray());

    private final UserStore users;
    private final PasswdFile passwdFile;

    Credentials(UserStore users, PasswdFile passwdFile) {
        this.users = java.util.Objects.requireNonNull(users, "users");
        this.passwdFile = passwdFile;
    }

    @Override
    public boolean verifyPassword(String user, char[] password) {
        if (user == null || password == null) {
            return false;
        }
        if (users.exists(user)) {
            // Only the account address logs in, not its aliases.
            return users.passwordHash(user).map(h -> PasswordHashes.verify(h, password)).orElseGet(() -> burn(password));
        }
        if (passwdFile != null && passwdFile.contains(user)) {
            return passwdFile.verify(user, password);
        }
        return burn(password);
    }

    private static boolean burn(char[] password) {
        PasswordHashes.verify(DUMMY_HASH, password);
        return false;
    }

    @Override
    public String canonicalName(String user) {
        return users.accountFor(user).filter(a -> a.equalsIgnoreCase(user)).orElse(user);
    }

    @Override
    public Optional<ScramCredentials> scram(String user) {
        return user == null ? Optional.empty() : users.scramCredentials(user);
    }

    @Override
    public byte[] decoySecret() {
        return users.decoySecret();
    }

    @Override
    public Set<String> addressesOf(String user) {
        if (user == null) {
            return Set.of();
        }
        if (users.exists(user)) {
            return users.accountFor(user).filter(a -> a.equalsIgnoreCase(user)).map(users::addressesOf)
                    .orElse(Set.of());
        }
        if (passwdFile != null && passwdFile.contains(user) && user.indexOf('@') > 0) {
            // A passwd-file user named like an address may send as that address.
            return Set.of(user.toLowerCase(java.util.Locale.ROOT));
        }
        return Set.of();
    }
}
