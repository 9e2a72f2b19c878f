package dev.posthorn.auth;

import dev.posthorn.store.Argon2id;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Locale;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

/**
 * Verifies stored password hashes in the forms Dovecot writes: an optional {@code {SCHEME}} prefix
 * followed by the hash. Supported: {@code {ARGON2ID}} / {@code $argon2id$} (PHC string),
 * {@code {BLF-CRYPT}} / {@code $2y$ $2b$ $2a$} (bcrypt) and {@code {SHA512-CRYPT}} / {@code $6$}.
 * Unknown schemes and malformed hashes verify as false; nothing here throws for bad input.
 * Comparisons of the computed and stored hash take constant time.
 */
public final class PasswordHashes {

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
                case "SHA512-CRYPT" -> verifySha512Crypt(hash, password);
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
        return "";
    }

    private static boolean verifyBcrypt(String hash, char[] password) {
        if (!(hash.startsWith("$2y$") || hash.startsWith("$2b$") || hash.startsWith("$2a$")) || hash.length() != 60) {
            return false;
        }
        // OpenBSDBCrypt recomputes the hash and compares it in constant time.
        return OpenBSDBCrypt.checkPassword(hash, password);
    }

    private static boolean verifySha512Crypt(String hash, char[] password) {
        if (!hash.startsWith("$6$") || ShaCrypt.requestedRounds(hash) > ShaCrypt.MAX_VERIFY_ROUNDS) {
            return false;
        }
        byte[] pw = Argon2id.utf8(password);
        try {
            String computed = ShaCrypt.crypt(pw, hash);
            return MessageDigest.isEqual(computed.getBytes(StandardCharsets.US_ASCII),
                    hash.getBytes(StandardCharsets.US_ASCII));
        } finally {
            Arrays.fill(pw, (byte) 0);
        }
    }

}
