package dev.posthorn.auth;

import dev.posthorn.store.Argon2id;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Locale;
import org.apache.commons.codec.digest.Sha2Crypt;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

/**
 * Verifies stored password hashes in the forms Dovecot writes: an optional {@code {SCHEME}} prefix
 * followed by the hash. Supported: {@code {ARGON2ID}} / {@code $argon2id$} (PHC string),
 * {@code {BLF-CRYPT}} / {@code $2y$ $2b$ $2a$} (bcrypt), {@code {SHA512-CRYPT}} / {@code $6$} and
 * {@code {SHA256-CRYPT}} / {@code $5$} (SHA-crypt, by Commons Codec's {@link Sha2Crypt}).
 * Unknown schemes and malformed hashes verify as false; nothing here throws for bad input.
 * Comparisons of the computed and stored hash take constant time.
 */
public final class PasswordHashes {

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
            // Malformed hash text (bad numbers, bad base64, wrong lengths): not a match.
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
     * constant time. More rounds than {@link #MAX_VERIFY_ROUNDS} are refused unread: a crafted hash must not
     * pin a CPU for minutes.
     */
    private static boolean verifyShaCrypt(String prefix, String hash, char[] password) {
        if (!hash.startsWith(prefix) || requestedRounds(hash) > MAX_VERIFY_ROUNDS) {
            return false;
        }
        byte[] pw = Argon2id.utf8(password);
        try {
            String computed = prefix.equals("$6$") ? Sha2Crypt.sha512Crypt(pw, hash) : Sha2Crypt.sha256Crypt(pw, hash);
            return MessageDigest.isEqual(computed.getBytes(StandardCharsets.US_ASCII),
                    hash.getBytes(StandardCharsets.US_ASCII));
        } finally {
            Arrays.fill(pw, (byte) 0);
        }
    }

}
