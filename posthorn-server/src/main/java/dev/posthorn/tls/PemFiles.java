package dev.posthorn.tls;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * Reads certificate chains and private keys from PEM: certificates in order (leaf first), RSA and EC
 * keys as PKCS#1 / SEC1 ({@code BEGIN RSA PRIVATE KEY}, {@code BEGIN EC PRIVATE KEY}, possibly after an
 * {@code EC PARAMETERS} block) or PKCS#8 ({@code BEGIN PRIVATE KEY}). Errors name the file and the fix.
 */
final class PemFiles {

    private PemFiles() {
    }

    static CertifiedKey load(Path certFile, Path keyFile) throws IOException {
        List<X509Certificate> chain = new ArrayList<>();
        List<PrivateKey> keys = new ArrayList<>();
        read(certFile, chain, keys);
        if (!keyFile.equals(certFile)) {
            read(keyFile, new ArrayList<>(), keys);
        }
        if (chain.isEmpty()) {
            throw new IOException(certFile + ": no certificate found (expected BEGIN CERTIFICATE)");
        }
        if (keys.isEmpty()) {
            throw new IOException(keyFile + ": no private key found (expected BEGIN PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)");
        }
        PrivateKey key = keys.getFirst();
        if (!matches(key, chain.getFirst().getPublicKey())) {
            throw new IOException(keyFile + ": the private key does not belong to the first certificate in " + certFile);
        }
        return CertifiedKey.of(key, chain);
    }

    private static void read(Path file, List<X509Certificate> certs, List<PrivateKey> keys) throws IOException {
        JcaPEMKeyConverter keyConverter = new JcaPEMKeyConverter();
        JcaX509CertificateConverter certConverter = new JcaX509CertificateConverter();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
             PEMParser parser = new PEMParser(reader)) {
            Object object;
            while ((object = parser.readObject()) != null) {
                switch (object) {
                    case X509CertificateHolder holder -> certs.add(certConverter.getCertificate(holder));
                    // SEC1 keys may omit the public key, so convert only the private part.
                    case PEMKeyPair pair -> keys.add(keyConverter.getPrivateKey(pair.getPrivateKeyInfo()));
                    case PrivateKeyInfo info -> keys.add(keyConverter.getPrivateKey(info));
                    case PEMEncryptedKeyPair ignored -> throw encrypted(file);
                    case PKCS8EncryptedPrivateKeyInfo ignored -> throw encrypted(file);
                    case ASN1ObjectIdentifier ignored -> { } // "EC PARAMETERS" before an EC key: the key repeats them
                    default -> { } // other PEM blocks (e.g. DH parameters) are not ours to use
                }
            }
        } catch (GeneralSecurityException e) {
            throw new IOException(file + ": unusable certificate or key: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            // Bouncy Castle reports bad base64 and bad DER with unchecked exceptions.
            throw new IOException(file + ": not readable PEM: " + e.getMessage(), e);
        } catch (IOException e) {
            throw e instanceof java.nio.file.NoSuchFileException
                    ? new IOException(file + ": no such file", e)
                    : new IOException(file + ": not readable PEM: " + e.getMessage(), e);
        }
    }

    private static IOException encrypted(Path file) {
        return new IOException(file + ": the private key is encrypted; store it without a passphrase "
                + "(e.g. openssl pkey -in key.pem -out key-plain.pem) and restrict the file to mode 600");
    }

    /** Sign a random challenge with the key and verify it with the certificate's public key. */
    private static boolean matches(PrivateKey key, PublicKey publicKey) throws IOException {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> throw new IOException("unsupported key type " + key.getAlgorithm() + " (use RSA or EC)");
        };
        if (!key.getAlgorithm().equals(publicKey.getAlgorithm())) {
            return false;
        }
        try {
            byte[] challenge = new byte[32];
            new SecureRandom().nextBytes(challenge);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(challenge);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
