package dev.posthorn.mailauth.dkim;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.Arrays;
import java.util.Base64;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;

/**
 * The JDK signs and verifies with Ed25519 but cannot derive a public key from a private one; the public key of
 * a stored key (for {@code posthorn dkim list} and {@code dns}) comes from Bouncy Castle's lightweight API,
 * already a dependency for Argon2id.
 */
final class Ed25519Keys {

    private Ed25519Keys() {
    }

    static PublicKey publicOf(PrivateKey key) throws GeneralSecurityException {
        byte[] pkcs8 = key.getEncoded();
        // PKCS#8 v1 for Ed25519 (RFC 8410 §7) ends with the 32-octet seed.
        byte[] seed = Arrays.copyOfRange(pkcs8, pkcs8.length - 32, pkcs8.length);
        byte[] raw = new Ed25519PrivateKeyParameters(seed, 0).generatePublicKey().getEncoded();
        return KeyRecord.decodeKey(DkimAlgorithm.ED25519_SHA256, Base64.getEncoder().encodeToString(raw));
    }
}
