package dev.posthorn.mailauth.dkim;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.security.MessageDigest;

/**
 * The signing algorithms Posthorn signs with and accepts: rsa-sha256 (RFC 6376, RSA keys of at least 1024 bits,
 * RFC 8301 §3.2) and ed25519-sha256 (RFC 8463: Ed25519 over the SHA-256 hash of the header data). rsa-sha1 is
 * refused (RFC 8301 §3.1).
 */
public enum DkimAlgorithm {
    RSA_SHA256("rsa-sha256", "rsa"),
    ED25519_SHA256("ed25519-sha256", "ed25519");

    /** RFC 8301 §3.2: verifiers must not accept RSA keys shorter than this. */
    public static final int MIN_RSA_BITS = 1024;

    private final String tag;
    private final String keyType;

    DkimAlgorithm(String tag, String keyType) {
        this.tag = tag;
        this.keyType = keyType;
    }

    /** The a= value. */
    public String tag() {
        return tag;
    }

    /** The k= value of the key record, also the name used for key files and the CLI. */
    public String keyType() {
        return keyType;
    }

    public static DkimAlgorithm ofTag(String a) {
        for (DkimAlgorithm alg : values()) {
            if (alg.tag.equalsIgnoreCase(a)) {
                return alg;
            }
        }
        return null;
    }

    public static DkimAlgorithm ofKeyType(String k) {
        for (DkimAlgorithm alg : values()) {
            if (alg.keyType.equalsIgnoreCase(k)) {
                return alg;
            }
        }
        return null;
    }

    public byte[] sign(PrivateKey key, byte[] data) throws GeneralSecurityException {
        Signature s = Signature.getInstance(this == RSA_SHA256 ? "SHA256withRSA" : "Ed25519");
        s.initSign(key);
        s.update(this == RSA_SHA256 ? data : sha256(data));
        return s.sign();
    }

    public boolean verify(PublicKey key, byte[] data, byte[] signature) throws GeneralSecurityException {
        Signature s = Signature.getInstance(this == RSA_SHA256 ? "SHA256withRSA" : "Ed25519");
        s.initVerify(key);
        s.update(this == RSA_SHA256 ? data : sha256(data));
        return s.verify(signature);
    }

    /** Refuses keys too weak to trust; null when the key is acceptable. */
    public String weakness(PublicKey key) {
        if (this == RSA_SHA256 && key instanceof RSAPublicKey rsa && rsa.getModulus().bitLength() < MIN_RSA_BITS) {
            return "RSA key of " + rsa.getModulus().bitLength() + " bits (at least " + MIN_RSA_BITS + " required)";
        }
        return null;
    }

    private static byte[] sha256(byte[] data) throws GeneralSecurityException {
        return MessageDigest.getInstance("SHA-256").digest(data);
    }
}
