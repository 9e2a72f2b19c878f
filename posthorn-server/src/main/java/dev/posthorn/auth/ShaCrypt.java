package dev.posthorn.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * SHA512-crypt ({@code $6$}), written from Ulrich Drepper's public specification "Unix crypt using
 * SHA-256 and SHA-512" (the algorithm glibc's crypt(3), Dovecot and {@code openssl passwd -6} use).
 * The step numbers in the comments are the specification's.
 *
 * <p>Only the fallback for the salts Commons Codec's {@code Sha2Crypt} refuses: it accepts only
 * {@code [./0-9A-Za-z]{1,16}}, while glibc takes any octets up to {@code $} (none at all included) and
 * {@code openssl passwd -6 -salt 'a_b-c!'} writes such hashes. Existing hashes must keep verifying.
 */
final class ShaCrypt {

    static final int DEFAULT_ROUNDS = 5000;
    static final int MIN_ROUNDS = 1000;
    static final int MAX_ROUNDS = 999_999_999;
    private static final int MAX_SALT = 16;
    private static final String ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private ShaCrypt() {
    }

    /**
     * Computes the full {@code $6$...} string for a password and a setting
     * ({@code $6$salt} or {@code $6$rounds=N$salt}, anything after the salt is ignored).
     */
    static String crypt(byte[] password, String setting) {
        if (!setting.startsWith("$6$")) {
            throw new IllegalArgumentException("not a SHA512-crypt setting");
        }
        String rest = setting.substring(3);
        int rounds = DEFAULT_ROUNDS;
        boolean roundsGiven = false;
        if (rest.startsWith("rounds=")) {
            int end = rest.indexOf('$');
            if (end < 0) {
                throw new IllegalArgumentException("rounds= without salt");
            }
            long requested = Long.parseLong(rest.substring("rounds=".length(), end));
            // The specification clamps out-of-range values rather than rejecting them.
            rounds = (int) Math.max(MIN_ROUNDS, Math.min(MAX_ROUNDS, requested));
            roundsGiven = true;
            rest = rest.substring(end + 1);
        }
        int dollar = rest.indexOf('$');
        String saltText = dollar < 0 ? rest : rest.substring(0, dollar);
        if (saltText.length() > MAX_SALT) {
            saltText = saltText.substring(0, MAX_SALT);
        }
        byte[] salt = saltText.getBytes(StandardCharsets.UTF_8);
        byte[] hash = hash(password, salt, rounds);
        StringBuilder out = new StringBuilder("$6$");
        if (roundsGiven) {
            out.append("rounds=").append(rounds).append('$');
        }
        out.append(saltText).append('$').append(encode(hash));
        return out.toString();
    }

    private static byte[] hash(byte[] p, byte[] s, int rounds) {
        MessageDigest md = sha512();
        // Steps 4-8: digest B = SHA512(password, salt, password).
        md.update(p);
        md.update(s);
        md.update(p);
        byte[] b = md.digest();

        // Steps 1-3, 9-12: digest A.
        md.update(p);
        md.update(s);
        int n;
        for (n = p.length; n > 64; n -= 64) {
            md.update(b, 0, 64);
        }
        md.update(b, 0, n);
        for (int len = p.length; len > 0; len >>= 1) {
            if ((len & 1) != 0) {
                md.update(b);
            } else {
                md.update(p);
            }
        }
        byte[] a = md.digest();

        // Steps 13-16: the P sequence, from DP = SHA512(password repeated len(password) times).
        for (int i = 0; i < p.length; i++) {
            md.update(p);
        }
        byte[] pSeq = repeat(md.digest(), p.length);

        // Steps 17-20: the S sequence, from DS = SHA512(salt repeated 16 + A[0] times).
        for (int i = 0; i < 16 + (a[0] & 0xff); i++) {
            md.update(s);
        }
        byte[] sSeq = repeat(md.digest(), s.length);

        // Step 21: the rounds.
        byte[] c = a;
        for (int i = 0; i < rounds; i++) {
            md.update((i & 1) != 0 ? pSeq : c);
            if (i % 3 != 0) {
                md.update(sSeq);
            }
            if (i % 7 != 0) {
                md.update(pSeq);
            }
            md.update((i & 1) != 0 ? c : pSeq);
            c = md.digest();
        }
        Arrays.fill(pSeq, (byte) 0);
        return c;
    }

    private static byte[] repeat(byte[] digest, int length) {
        byte[] out = new byte[length];
        for (int i = 0; i < length; i++) {
            out[i] = digest[i % digest.length];
        }
        return out;
    }

    /** Step 22: the digest's bytes in the specification's order, 24 bits at a time, low 6 bits first. */
    private static String encode(byte[] c) {
        StringBuilder out = new StringBuilder(86);
        for (int i = 0; i < 21; i++) {
            // The specification's table: groups (0,21,42), (22,43,1), (44,2,23), ... i.e. start = 22*i mod 63.
            int first = (22 * i) % 63;
            int second = (first + 21) % 63;
            int third = (first + 42) % 63;
            append(out, c[first], c[second], c[third], 4);
        }
        append(out, (byte) 0, (byte) 0, c[63], 2);
        return out.toString();
    }

    private static void append(StringBuilder out, byte b2, byte b1, byte b0, int chars) {
        int w = ((b2 & 0xff) << 16) | ((b1 & 0xff) << 8) | (b0 & 0xff);
        for (int i = 0; i < chars; i++) {
            out.append(ITOA64.charAt(w & 0x3f));
            w >>>= 6;
        }
    }

    private static MessageDigest sha512() {
        try {
            return MessageDigest.getInstance("SHA-512");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-512 unavailable", e);
        }
    }
}
