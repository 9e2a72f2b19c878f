package dev.posthorn.mailauth.dkim;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * A DKIM key record (RFC 6376 §3.6.1) as published at {@code selector._domainkey.domain}: the key type, the
 * public key, the allowed hashes, services and flags. {@link #parse} refuses what a verifier must refuse.
 */
public record KeyRecord(DkimAlgorithm algorithm, PublicKey key, boolean revoked, boolean testing,
                        boolean strictIdentity, List<String> hashes) {

    /** X.509 SubjectPublicKeyInfo prefix of an Ed25519 key (RFC 8410): the 32 raw octets follow. */
    private static final byte[] ED25519_SPKI_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03,
        0x21, 0x00};

    /** @throws IllegalArgumentException with the reason, for a record that is not a usable key */
    public static KeyRecord parse(String text) {
        Tags tags = Tags.parse(text);
        String v = tags.get("v");
        if (v != null && (!"v".equals(tags.firstTag()) || !v.equals("DKIM1"))) {
            throw new IllegalArgumentException("v= must come first and be DKIM1");
        }
        String k = tags.get("k", "rsa");
        DkimAlgorithm algorithm = DkimAlgorithm.ofKeyType(k);
        if (algorithm == null) {
            throw new IllegalArgumentException("unknown key type k=" + k);
        }
        String s = tags.get("s", "*");
        if (Arrays.stream(s.split(":")).map(String::strip).noneMatch(x -> x.equals("*") || x.equals("email"))) {
            throw new IllegalArgumentException("key not for email (s=" + s + ")");
        }
        List<String> hashes = tags.has("h")
                ? Arrays.stream(tags.get("h").split(":")).map(String::strip).toList() : List.of();
        String flags = tags.get("t", "");
        boolean testing = Arrays.stream(flags.split(":")).anyMatch(f -> f.strip().equals("y"));
        boolean strict = Arrays.stream(flags.split(":")).anyMatch(f -> f.strip().equals("s"));
        String p = Tags.compactBase64(tags.get("p"));
        if (p == null) {
            throw new IllegalArgumentException("no p= tag");
        }
        if (p.isEmpty()) {
            return new KeyRecord(algorithm, null, true, testing, strict, hashes);
        }
        return new KeyRecord(algorithm, decodeKey(algorithm, p), false, testing, strict, hashes);
    }

    static PublicKey decodeKey(DkimAlgorithm algorithm, String base64) {
        byte[] der;
        try {
            der = Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("p= is not valid base64");
        }
        try {
            if (algorithm == DkimAlgorithm.ED25519_SHA256) {
                // RFC 8463 §4.2: p= is the raw 32-octet public key.
                if (der.length != 32) {
                    throw new IllegalArgumentException("ed25519 p= must be 32 octets, has " + der.length);
                }
                byte[] spki = Arrays.copyOf(ED25519_SPKI_PREFIX, ED25519_SPKI_PREFIX.length + 32);
                System.arraycopy(der, 0, spki, ED25519_SPKI_PREFIX.length, 32);
                return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
            }
            return KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(der));
        } catch (GeneralSecurityException | RuntimeException e) {
            if (e instanceof IllegalArgumentException iae && iae.getMessage() != null
                    && iae.getMessage().startsWith("ed25519")) {
                throw iae;
            }
            throw new IllegalArgumentException("p= is not a valid " + algorithm.keyType() + " public key"
                    + " (truncated?)");
        }
    }

    /** The p= value of a public key: DER SubjectPublicKeyInfo for RSA, the raw 32 octets for Ed25519. */
    public static String publicKeyValue(PublicKey key) {
        byte[] der = key.getEncoded();
        if (key.getAlgorithm().equals("Ed25519") || key.getAlgorithm().equals("EdDSA")) {
            der = Arrays.copyOfRange(der, der.length - 32, der.length);
        }
        return Base64.getEncoder().encodeToString(der);
    }
}
