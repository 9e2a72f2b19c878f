package dev.posthorn.tls;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Test keys and certificates made with Bouncy Castle, written as PEM in the formats operators have. */
public final class TestPki {

    public enum KeyFormat { TRADITIONAL, PKCS8 } // TRADITIONAL: "RSA PRIVATE KEY" (PKCS#1) or "EC PRIVATE KEY" (SEC1)

    private static final AtomicLong SERIAL = new AtomicLong(1);

    public record Issued(KeyPair keys, X509Certificate cert) {
    }

    private TestPki() {
    }

    public static KeyPair rsa() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }

    public static KeyPair ec() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    /** A certificate for {@code names} (SAN dNSName), signed by {@code issuer} or self-signed when null. */
    public static Issued issue(KeyPair keys, Issued issuer, boolean ca, String... names) throws Exception {
        X500Name subject = new X500Name("CN=" + names[0]);
        X500Name issuerName = issuer == null ? subject
                : new X500Name(issuer.cert().getSubjectX500Principal().getName());
        PrivateKey signingKey = issuer == null ? keys.getPrivate() : issuer.keys().getPrivate();
        Instant now = Instant.now();
        var builder = new JcaX509v3CertificateBuilder(issuerName, BigInteger.valueOf(SERIAL.incrementAndGet()),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(2))), subject, keys.getPublic());
        GeneralName[] sans = new GeneralName[names.length];
        for (int i = 0; i < names.length; i++) {
            sans[i] = new GeneralName(GeneralName.dNSName, names[i]);
        }
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans));
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        String algorithm = signingKey.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
        X509Certificate cert = new JcaX509CertificateConverter()
                .getCertificate(builder.build(new JcaContentSignerBuilder(algorithm).build(signingKey)));
        return new Issued(keys, cert);
    }

    public static String certPem(X509Certificate... chain) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            for (X509Certificate c : chain) {
                writer.writeObject(c);
            }
        }
        return out.toString();
    }

    public static String keyPem(PrivateKey key, KeyFormat format) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            if (format == KeyFormat.PKCS8) {
                writer.writeObject(new JcaPKCS8Generator(key, null));
            } else if (key.getAlgorithm().equals("EC")) {
                writer.writeObject(sec1(key));
            } else {
                writer.writeObject(key); // BC writes an RSA key as PKCS#1 "RSA PRIVATE KEY"
            }
        }
        return out.toString();
    }

    /**
     * SEC1 "EC PRIVATE KEY" with the curve named inside, as openssl writes it. (The JDK's PKCS#8 keeps the
     * curve only in the outer algorithm identifier, so its inner structure alone would not say which.)
     */
    private static org.bouncycastle.util.io.pem.PemObject sec1(PrivateKey key) throws IOException {
        var info = org.bouncycastle.asn1.pkcs.PrivateKeyInfo.getInstance(key.getEncoded());
        var inner = org.bouncycastle.asn1.sec.ECPrivateKey.getInstance(info.parsePrivateKey());
        var withCurve = new org.bouncycastle.asn1.sec.ECPrivateKey(256, inner.getKey(), null,
                info.getPrivateKeyAlgorithm().getParameters());
        return new org.bouncycastle.util.io.pem.PemObject("EC PRIVATE KEY", withCurve.getEncoded());
    }

    /** Replaces a file the way certbot's renewal and most editors do: write elsewhere, rename over. */
    static void replace(Path target, String content) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".new");
        Files.writeString(tmp, content);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
