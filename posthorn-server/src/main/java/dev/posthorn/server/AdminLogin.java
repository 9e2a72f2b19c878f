package dev.posthorn.server;

import dev.posthorn.auth.AuthThrottle;
import dev.posthorn.auth.CredentialStore;
import dev.posthorn.store.UserStore;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The console's login: Posthorn's own accounts, only those with the admin flag, under the same throttle as SMTP
 * AUTH (failures from an address or for a user count for both, so guessing on the console brings the 454s and
 * the 421 on the submission ports nearer, and the other way round).
 */
public final class AdminLogin {

    /** How a login attempt ended. Refused says nothing of why: a wrong password and a non-admin look alike. */
    public enum Outcome { ADMITTED, REFUSED, THROTTLED }

    private final AuthThrottle throttle;
    private final CredentialStore credentials;
    private final UserStore users;

    AdminLogin(AuthThrottle throttle, CredentialStore credentials, UserStore users) {
        this.throttle = throttle;
        this.credentials = credentials;
        this.users = users;
    }

    /** The canonical account name of {@code user} (lower-cased address), as sessions and logs name it. */
    public String canonical(String user) {
        return credentials.canonicalName(user);
    }

    public Outcome attempt(InetAddress client, String user, char[] password) {
        if (throttle.check(client, user) != AuthThrottle.Verdict.ALLOW) {
            // As ThrottleGate does for SMTP: a throttled attempt counts, so persistence reaches the disconnect level.
            throttle.recordFailure(client, user);
            return Outcome.THROTTLED;
        }
        String account = credentials.canonicalName(user);
        if (!credentials.verifyPassword(user, password)) {
            throttle.recordFailure(client, user);
            return Outcome.REFUSED;
        }
        if (!users.isAdmin(account)) {
            // The password was right: not a guess, so the throttle does not count it; but no way in.
            return Outcome.REFUSED;
        }
        throttle.recordSuccess(client, user);
        return Outcome.ADMITTED;
    }

    /** Whether the account still exists and is still an administrator (checked on every console request). */
    public boolean stillAdmin(String account) {
        return users.isAdmin(account);
    }

    /**
     * A fingerprint of the account's stored password (SHA-256 of its PHC string, so the hash itself is not kept
     * twice); empty without one. A session records it at login and ends when it differs: a password changed
     * after a leak locks out whoever logged in with the old one.
     */
    public String credential(String account) {
        Optional<String> hash = users.passwordHash(account);
        if (hash.isEmpty()) {
            return "";
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(hash.get().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
    }

    /** Still an administrator, with the password the session was opened with. */
    public boolean stillAdmin(String account, String credential) {
        return users.isAdmin(account) && !credential.isEmpty() && MessageDigest.isEqual(
                credential(account).getBytes(StandardCharsets.US_ASCII), credential.getBytes(StandardCharsets.US_ASCII));
    }
}
