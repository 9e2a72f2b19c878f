package dev.posthorn.tls;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The certificate of a first run: EC P-256, subjectAltName dNSName = host name, valid two years,
 * kept in {@code <dataDir>/tls/selfsigned-fullchain.pem} and {@code selfsigned-privkey.pem} (mode 600)
 * and reused until it is about to expire or the host name changes.
 */
final class SelfSigned {

    private static final Logger LOG = LoggerFactory.getLogger(SelfSigned.class);
    static final String CERT_FILE = "selfsigned-fullchain.pem";
    static final String KEY_FILE = "selfsigned-privkey.pem";
    private static final Duration VALIDITY = Duration.ofDays(730);
    private static final Duration RENEW_BEFORE = Duration.ofDays(30);

    private SelfSigned() {
    }

    /** Loads the generated certificate, making a new one if absent, unreadable, expiring or for another name. */
    static CertifiedKey loadOrCreate(Path dataDir, String hostname) throws IOException {
        Path dir = dataDir.resolve("tls");
        Path certFile = dir.resolve(CERT_FILE);
        Path keyFile = dir.resolve(KEY_FILE);
        if (Files.exists(certFile) && Files.exists(keyFile)) {
            try {
                CertifiedKey existing = PemFiles.load(certFile, keyFile);
                Instant notAfter = existing.leaf().getNotAfter().toInstant();
                if (existing.matches(hostname) && notAfter.isAfter(Instant.now().plus(RENEW_BEFORE))) {
                    LOG.info("TLS: using the self-signed certificate for {} in {} (valid until {})", hostname, certFile, notAfter);
                    return existing;
                }
                LOG.info("TLS: the self-signed certificate in {} is for {} until {}; making a new one for {}",
                        certFile, existing.names(), notAfter, hostname);
            } catch (IOException e) {
                LOG.warn("TLS: cannot use {} ({}); making a new self-signed certificate", certFile, e.getMessage());
            }
        }
        CertifiedKey created = create(hostname);
        Files.createDirectories(dir);
        writeAtomically(keyFile, pkcs8(created), true);
        writeAtomically(certFile, pem(created.leaf()), false);
        LOG.info("TLS: generated a self-signed certificate for {} in {} and {} (valid until {}); "
                        + "clients will not trust it: set tls.cert and tls.key for production",
                hostname, certFile, keyFile, created.leaf().getNotAfter().toInstant());
        return created;
    }

    static CertifiedKey create(String hostname) throws IOException {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair pair = generator.generateKeyPair();
            Instant now = Instant.now();
            var subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, hostname).build();
            var builder = new JcaX509v3CertificateBuilder(subject, new BigInteger(127, new SecureRandom()).add(BigInteger.ONE),
                    Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(VALIDITY)), subject, pair.getPublic());
            builder.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(new GeneralName(isIpLiteral(hostname) ? GeneralName.iPAddress : GeneralName.dNSName, hostname)));
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
            return CertifiedKey.of(pair.getPrivate(), List.of(cert));
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IOException("cannot generate a self-signed certificate: " + e.getMessage(), e);
        }
    }

    private static boolean isIpLiteral(String host) {
        return host.contains(":") || host.matches("[0-9.]+");
    }

    private static String pkcs8(CertifiedKey key) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(new JcaPKCS8Generator(key.key(), null));
        }
        return out.toString();
    }

    private static String pem(X509Certificate cert) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(cert);
        }
        return out.toString();
    }

    /** Temporary file (mode 600 for keys from the start), fsync, rename, fsync of the directory. */
    private static void writeAtomically(Path target, String content, boolean secret) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString(secret ? "rw-------" : "rw-r--r--")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(tmp);
        }
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(content.getBytes(StandardCharsets.US_ASCII)));
            ch.force(true);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
        try (FileChannel dir = FileChannel.open(target.getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            // Not possible on every platform; the rename is as durable as the platform allows.
        }
    }
}
