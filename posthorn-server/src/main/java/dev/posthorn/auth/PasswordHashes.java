package dev.posthorn.auth;

import dev.posthorn.store.Argon2id;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Locale;
import org.apache.commons.codec.digest.Sha2Crypt;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verifies stored password hashes in the forms Dovecot writes: an optional {@code {SCHEME}} prefix
 * followed by the hash. Supported: {@code {ARGON2ID}} / {@code $argon2id$} (PHC string),
 * {@code {BLF-CRYPT}} / {@code $2y$ $2b$ $2a$} (bcrypt), {@code {SHA512-CRYPT}} / {@code $6$} and
 * {@code {SHA256-CRYPT}} / {@code $5$} (SHA-crypt, by Commons Codec's {@link Sha2Crypt}).
 * Unknown schemes and malformed hashes verify as false; nothing here throws for bad input.
 * Comparisons of the computed and stored hash take constant time.
 */
public final class PasswordHashes {

    private static final Logger LOG = LoggerFactory.getLogger(PasswordHashes.class);

    static final long MAX_VERIFY_ROUNDS = 10_000_000;

    private PasswordHashes() {
    }

    /** A new hash for storage: Argon2id PHC string (without a scheme prefix). */
    public static String hash(char[] password) {
        return Argon2id.hash(password);
    }

    public static boolean verify(String stored, char[] password) {
        if (stored == null || password == null) {
            return false;
        }
        String scheme = null;
        String hash = stored;
        if (stored.startsWith("{")) {
            int close = stored.indexOf('}');
            if (close < 0) {
                return false;
            }
            scheme = stored.substring(1, close).toUpperCase(Locale.ROOT);
            hash = stored.substring(close + 1);
        }
        try {
            if (scheme == null) {
                scheme = schemeOf(hash);
            }
            return switch (scheme) {
                case "ARGON2ID", "ARGON2I" -> hash.startsWith("$argon2") && Argon2id.verify(hash, password);
                case "BLF-CRYPT", "BCRYPT" -> verifyBcrypt(hash, password);
                case "SHA512-CRYPT" -> verifyShaCrypt("$6$", hash, password);
                case "SHA256-CRYPT" -> verifyShaCrypt("$5$", hash, password);
                default -> false;
            };
        } catch (RuntimeException e) {
            // Malformed hash text (bad numbers, bad base64, wrong lengths): not a match. Said in the log, since to
            // the user it looks like a wrong password: the administrator must learn the stored hash is unusable.
            LOG.warn("a stored {} password hash cannot be used (every login with it fails): {}",
                    scheme == null || scheme.isEmpty() ? "unknown" : scheme, e.toString());
            return false;
        }
    }

    private static String schemeOf(String hash) {
        if (hash.startsWith("$argon2")) {
            return "ARGON2ID";
        }
        if (hash.startsWith("$2y$") || hash.startsWith("$2b$") || hash.startsWith("$2a$")) {
            return "BLF-CRYPT";
        }
        if (hash.startsWith("$6$")) {
            return "SHA512-CRYPT";
        }
        if (hash.startsWith("$5$")) {
            return "SHA256-CRYPT";
        }
        return "";
    }

    /** The rounds a SHA-crypt setting asks for ({@code $6$rounds=N$salt...}); 5000 when it names none. */
    static long requestedRounds(String setting) {
        String rest = setting.substring(3);
        if (!rest.startsWith("rounds=")) {
            return 5000;
        }
        int end = rest.indexOf('$');
        return Long.parseLong(rest.substring("rounds=".length(), end < 0 ? rest.length() : end));
    }

    private static boolean verifyBcrypt(String hash, char[] password) {
        if (!(hash.startsWith("$2y$") || hash.startsWith("$2b$") || hash.startsWith("$2a$")) || hash.length() != 60) {
            return false;
        }
        // OpenBSDBCrypt recomputes the hash and compares it in constant time.
        return OpenBSDBCrypt.checkPassword(hash, password);
    }

    /**
     * SHA-crypt (Drepper's "Unix crypt using SHA-256 and SHA-512", glibc's crypt(3)): Sha2Crypt recomputes the
     * whole string from the stored setting (rounds clamped and salt cut to 16 as glibc does), compared in
     * constant time. A {@code $6$} salt Sha2Crypt refuses (outside {@code [./0-9A-Za-z]}, or empty, which glibc
     * and openssl allow) goes to our own {@link ShaCrypt}, so such existing hashes keep working. More rounds than {@link #MAX_VERIFY_ROUNDS} are refused unread: a crafted hash must not
     * pin a CPU for minutes.
     */
    private static boolean verifyShaCrypt(String prefix, String hash, char[] password) {
        if (!hash.startsWith(prefix) || requestedRounds(hash) > MAX_VERIFY_ROUNDS) {
            return false;
        }
        byte[] pw = Argon2id.utf8(password);
        try {
            String computed;
            if (!sha2CryptReadsSalt(hash)) {
                if (prefix.equals("$5$")) {
                    LOG.warn("a stored SHA256-CRYPT hash has a salt outside [./0-9A-Za-z] that this server cannot"
                            + " read: every login with it fails; set a new password");
                    return false;
                }
                computed = ShaCrypt.crypt(pw, hash);
            } else {
                computed = prefix.equals("$6$") ? Sha2Crypt.sha512Crypt(pw, hash) : Sha2Crypt.sha256Crypt(pw, hash);
            }
            return MessageDigest.isEqual(computed.getBytes(StandardCharsets.US_ASCII),
                    hash.getBytes(StandardCharsets.US_ASCII));
        } finally {
            Arrays.fill(pw, (byte) 0);
        }
    }

    /**
     * Whether Sha2Crypt reads the salt as glibc does. It matches {@code [./0-9A-Za-z]{1,16}} at the salt's start:
     * an empty salt throws, and a salt with another octet is silently cut before it (a different hash).
     */
    private static boolean sha2CryptReadsSalt(String setting) {
        String rest = setting.substring(3);
        if (rest.startsWith("rounds=")) {
            rest = rest.substring(rest.indexOf('$') + 1);
        }
        int dollar = rest.indexOf('$');
        String salt = dollar < 0 ? rest : rest.substring(0, dollar);
        salt = salt.substring(0, Math.min(16, salt.length()));
        if (salt.isEmpty()) {
            return false;
        }
        for (int i = 0; i < salt.length(); i++) {
            char c = salt.charAt(i);
            boolean itoa64 = c == '.' || c == '/' || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')
                    || (c >= 'a' && c <= 'z');
            if (!itoa64) {
                return false;
            }
        }
        return true;
    }
}
