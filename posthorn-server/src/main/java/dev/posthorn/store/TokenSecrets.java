package dev.posthorn.store;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * The shape of API tokens: {@code ph_<id>_<secret>}, a 12-hex-digit id (what {@code token list} shows and
 * {@code token revoke} takes) and 256 random bits in base64url. A token carries 256 bits of entropy, so a
 * plain SHA-256 of it is what is stored: unlike a password it cannot be guessed, and a slow hash would only
 * slow every API call down.
 */
public final class TokenSecrets {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern SHAPE = Pattern.compile("ph_([0-9a-f]{12})_[A-Za-z0-9_-]{43}");

    private TokenSecrets() {
    }

    /** A fresh token: id and the whole secret string. */
    public static Fresh create() {
        byte[] id = new byte[6];
        byte[] secret = new byte[32];
        RANDOM.nextBytes(id);
        RANDOM.nextBytes(secret);
        String hexId = HexFormat.of().formatHex(id);
        return new Fresh(hexId, "ph_" + hexId + "_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret));
    }

    /** The id inside a token, or null when the string is not shaped like one. */
    public static String idOf(String token) {
        if (token == null) {
            return null;
        }
        var m = SHAPE.matcher(token);
        return m.matches() ? m.group(1) : null;
    }

    public static byte[] hash(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.US_ASCII));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    /** Constant-time comparison of a presented token with a stored hash. */
    public static boolean matches(String token, byte[] storedHash) {
        return storedHash != null && MessageDigest.isEqual(hash(token), storedHash);
    }

    /** A token and its id, before it is stored. */
    public record Fresh(String id, String secret) {
        @Override
        public String toString() {
            return "Fresh[id=" + id + ", secret=********]";
        }
    }

    /** Token names are free text for people, kept to one short line. */
    public static String checkName(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a token needs a name saying what it is for");
        }
        if (name.length() > 100 || name.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new IllegalArgumentException("token name: one line of at most 100 characters");
        }
        // Line and paragraph separators break a listing's line; bidi embeddings, overrides and isolates make a
        // name read as another in a terminal or the web page (Unicode TR 9; the "Trojan Source" trick).
        if (name.chars().anyMatch(c -> c == 0x2028 || c == 0x2029 || (c >= 0x202a && c <= 0x202e)
                || (c >= 0x2066 && c <= 0x2069))) {
            throw new IllegalArgumentException("token name: no line separators or bidirectional controls");
        }
        return name.strip();
    }
}
