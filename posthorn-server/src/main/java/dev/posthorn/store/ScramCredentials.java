package dev.posthorn.store;

import com.ongres.saslprep.SASLprep;
import com.ongres.stringprep.Profile;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * What a SCRAM-SHA-256 server keeps about one password (RFC 5802 §3, RFC 7677): the salt, the
 * iteration count, StoredKey = H(HMAC(SaltedPassword, "Client Key")) and
 * ServerKey = HMAC(SaltedPassword, "Server Key"). The password itself cannot be recovered from them,
 * and they cannot be computed from an Argon2 hash, so they are derived when the password is set.
 */
public record ScramCredentials(byte[] salt, int iterations, byte[] storedKey, byte[] serverKey) {

    private static final Profile SASLPREP = new SASLprep();

    /** RFC 7677 §4: at least 4096 iterations. */
    public static final int MIN_ITERATIONS = 4096;
    public static final int DEFAULT_ITERATIONS = 4096;
    private static final SecureRandom RANDOM = new SecureRandom();

    public ScramCredentials {
        Objects.requireNonNull(salt, "salt");
        Objects.requireNonNull(storedKey, "storedKey");
        Objects.requireNonNull(serverKey, "serverKey");
        if (iterations < 1) {
            throw new IllegalArgumentException("iteration count must be positive: " + iterations);
        }
        salt = salt.clone();
        storedKey = storedKey.clone();
        serverKey = serverKey.clone();
    }

    @Override
    public byte[] salt() {
        return salt.clone();
    }

    @Override
    public byte[] storedKey() {
        return storedKey.clone();
    }

    @Override
    public byte[] serverKey() {
        return serverKey.clone();
    }

    /** Fresh random salt (16 bytes) and {@link #DEFAULT_ITERATIONS}. */
    public static ScramCredentials create(char[] password) {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        return derive(password, salt, DEFAULT_ITERATIONS);
    }

    /** RFC 5802 §3: SaltedPassword = Hi(Normalize(password), salt, i), then the two keys. */
    public static ScramCredentials derive(char[] password, byte[] salt, int iterations) {
        byte[] salted = saltedPassword(password, salt, iterations);
        try {
            byte[] clientKey = hmac(salted, "Client Key".getBytes(StandardCharsets.US_ASCII));
            byte[] storedKey = sha256(clientKey);
            byte[] serverKey = hmac(salted, "Server Key".getBytes(StandardCharsets.US_ASCII));
            Arrays.fill(clientKey, (byte) 0);
            return new ScramCredentials(salt, iterations, storedKey, serverKey);
        } finally {
            Arrays.fill(salted, (byte) 0);
        }
    }

    /**
     * Hi() of RFC 5802 §2.2 is PBKDF2 with HMAC-SHA-256 and one block; the JDK's PBKDF2 encodes the characters
     * as UTF-8. Normalize() is SASLprep (RFC 4013) of the password as a query string (RFC 5802 §2.2), from
     * the ongres stringprep library: the mapping of non-ASCII spaces and of characters to nothing (a soft
     * hyphen), NFKC, and the prohibited and bidirectional checks. A password SASLprep refuses (a control
     * character, say) is used as it is, as PostgreSQL does: a client that follows the RFC cannot prepare it
     * either, so SCRAM fails for it while PLAIN and LOGIN still work.
     */
    public static byte[] saltedPassword(char[] password, byte[] salt, int iterations) {
        char[] normalized = saslPrep(password);
        PBEKeySpec spec = new PBEKeySpec(normalized, salt, iterations, 256);
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 unavailable", e);
        } finally {
            spec.clearPassword();
            Arrays.fill(normalized, '\0');
        }
    }

    static char[] saslPrep(char[] password) {
        try {
            return SASLPREP.prepareQuery(password.clone());
        } catch (IllegalArgumentException refused) {
            return password.clone();
        }
    }

    public static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    public static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ScramCredentials other && iterations == other.iterations
                && Arrays.equals(salt, other.salt) && Arrays.equals(storedKey, other.storedKey)
                && Arrays.equals(serverKey, other.serverKey);
    }

    @Override
    public int hashCode() {
        return Objects.hash(iterations, Arrays.hashCode(salt), Arrays.hashCode(storedKey));
    }

    @Override
    public String toString() {
        return "ScramCredentials[iterations=" + iterations + "]";
    }
}
