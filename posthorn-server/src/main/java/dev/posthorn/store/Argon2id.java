package dev.posthorn.store;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Argon2id password hashes as PHC strings ({@code $argon2id$v=19$m=19456,t=2,p=1$salt$hash}, salt and
 * hash in unpadded standard base64). The defaults are OWASP's minimum (19 MiB, 2 passes, 1 lane).
 */
public final class Argon2id {

    public static final int MEMORY_KIB = 19456;
    public static final int ITERATIONS = 2;
    public static final int PARALLELISM = 1;
    /** Refuse hashes whose parameters would let a crafted file exhaust memory or CPU. */
    private static final int MAX_MEMORY_KIB = 1 << 20;
    private static final int MAX_ITERATIONS = 64;
    private static final int MAX_PARALLELISM = 16;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();

    private Argon2id() {
    }

    public static String hash(char[] password) {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        byte[] out = compute(Argon2Parameters.ARGON2_id, Argon2Parameters.ARGON2_VERSION_13, MEMORY_KIB,
                ITERATIONS, PARALLELISM, salt, password, 32);
        return "$argon2id$v=19$m=" + MEMORY_KIB + ",t=" + ITERATIONS + ",p=" + PARALLELISM + "$"
                + B64.encodeToString(salt) + "$" + B64.encodeToString(out);
    }

    /**
     * Checks a password against a PHC string ({@code $argon2id$}, also {@code $argon2i$} and
     * {@code $argon2d$}). Malformed strings verify as false. The comparison takes constant time.
     */
    public static boolean verify(String phc, char[] password) {
        String[] parts = phc.split("\\$", -1);
        // "", type, [v=NN], params, salt, hash
        if (parts.length != 6 && parts.length != 5) {
            return false;
        }
        int type = switch (parts[1]) {
            case "argon2id" -> Argon2Parameters.ARGON2_id;
            case "argon2i" -> Argon2Parameters.ARGON2_i;
            case "argon2d" -> Argon2Parameters.ARGON2_d;
            default -> -1;
        };
        if (type < 0) {
            return false;
        }
        int i = 2;
        int version = Argon2Parameters.ARGON2_VERSION_10;
        try {
            if (parts.length == 6) {
                if (!parts[2].startsWith("v=")) {
                    return false;
                }
                version = Integer.parseInt(parts[2].substring(2));
                i = 3;
            }
            int m = -1;
            int t = -1;
            int p = -1;
            for (String kv : parts[i].split(",")) {
                int eq = kv.indexOf('=');
                if (eq < 0) {
                    return false;
                }
                int value = Integer.parseInt(kv.substring(eq + 1));
                switch (kv.substring(0, eq)) {
                    case "m" -> m = value;
                    case "t" -> t = value;
                    case "p" -> p = value;
                    default -> { } // keyid, data: not used by Dovecot or us
                }
            }
            if (m < 8 || m > MAX_MEMORY_KIB || t < 1 || t > MAX_ITERATIONS || p < 1 || p > MAX_PARALLELISM
                    || (version != 0x10 && version != 0x13)) {
                return false;
            }
            byte[] salt = Base64.getDecoder().decode(parts[i + 1]);
            byte[] expected = Base64.getDecoder().decode(parts[i + 2]);
            if (expected.length < 4 || expected.length > 1024) {
                return false;
            }
            byte[] actual = compute(type, version, m, t, p, salt, password, expected.length);
            return MessageDigest.isEqual(expected, actual);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static byte[] compute(int type, int version, int memoryKib, int iterations, int parallelism,
                                  byte[] salt, char[] password, int length) {
        Argon2Parameters params = new Argon2Parameters.Builder(type).withVersion(version)
                .withMemoryAsKB(memoryKib).withIterations(iterations).withParallelism(parallelism)
                .withSalt(salt).build();
        Argon2BytesGenerator generator = new Argon2BytesGenerator();
        generator.init(params);
        byte[] pw = utf8(password);
        try {
            byte[] out = new byte[length];
            generator.generateBytes(pw, out);
            return out;
        } finally {
            Arrays.fill(pw, (byte) 0);
        }
    }

    /** UTF-8 bytes of a password without going through an immutable String. */
    public static byte[] utf8(char[] password) {
        ByteBuffer buffer = StandardCharsets.UTF_8.encode(CharBuffer.wrap(password));
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        if (buffer.hasArray()) {
            Arrays.fill(buffer.array(), (byte) 0);
        }
        return bytes;
    }
}
