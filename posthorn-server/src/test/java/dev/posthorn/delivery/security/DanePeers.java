package dev.posthorn.delivery.security;

import dev.posthorn.delivery.fixtures.PostfixServer;
import dev.posthorn.delivery.remote.ClientSettings;
import dev.posthorn.delivery.remote.DestinationSession;
import dev.posthorn.delivery.remote.OutboundMessage;
import dev.posthorn.delivery.remote.Outcome;
import dev.posthorn.delivery.remote.Route;
import dev.posthorn.delivery.remote.SecureDelivery;
import dev.posthorn.delivery.remote.TlsPolicy;
import dev.posthorn.tls.TestPki;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/** What the DANE and MTA-STS tests share: a test CA, a Postfix peer presenting its certificate, one delivery. */
final class DanePeers {

    private DanePeers() {
    }

    /** Starts Postfix for {@code domains} with {@code leaf} (and the CA above it) as its STARTTLS certificate. */
    static PostfixServer postfixWithCertificate(Path dir, String domains, TestPki.Issued leaf, TestPki.Issued ca)
            throws Exception {
        Path tlsDir = Files.createDirectories(dir.resolve("postfix-tls"));
        Path chain = tlsDir.resolve("chain.pem");
        Path key = tlsDir.resolve("key.pem");
        Files.writeString(chain, TestPki.certPem(leaf.cert(), ca.cert()));
        Files.writeString(key, TestPki.keyPem(leaf.keys().getPrivate(), TestPki.KeyFormat.PKCS8));
        for (Path p : List.of(tlsDir, chain, key)) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(p.equals(tlsDir) ? "rwxr-xr-x" : "rw-r--r--"));
        }
        return PostfixServer.start(Files.createDirectories(dir.resolve("postfix")), domains, List.of(
                "smtpd_tls_security_level = may",
                "smtpd_tls_cert_file = " + chain,
                "smtpd_tls_key_file = " + key,
                "smtpd_tls_received_header = yes"));
    }

    /** Hex SHA-256 of the certificate's public key (TLSA selector 1, matching type 1). */
    static String spkiSha256(TestPki.Issued cert) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.cert().getPublicKey().getEncoded()));
    }

    /** Hex SHA-256 of the whole certificate (TLSA selector 0, matching type 1). */
    static String certSha256(TestPki.Issued cert) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.cert().getEncoded()));
    }

    /** One message from {@code sender} to bob@domain through a fresh session to the domain's MX hosts. */
    static List<Outcome> deliver(Path dir, SecureDelivery secure, int port, String domain, String sender)
            throws IOException {
        return deliver(dir, secure, port, domain, sender, TlsPolicy.OPPORTUNISTIC);
    }

    /** As above, with the route's own TLS setting ({@code queue.tls}, {@code tls_required_domains}). */
    static List<Outcome> deliver(Path dir, SecureDelivery secure, int port, String domain, String sender,
                                 TlsPolicy routeTls) throws IOException {
        Path content = dir.resolve(sender.replace('@', '_') + "-" + System.nanoTime() + ".eml");
        Files.writeString(content, "From: " + sender + "\r\nTo: bob@" + domain + "\r\nSubject: marker " + sender
                + "\r\n\r\nHello over " + domain + ".\r\n", StandardCharsets.US_ASCII);
        OutboundMessage m = new OutboundMessage(sender, List.of(new OutboundMessage.Recipient("bob@" + domain, Set.of(),
                null)), content, Files.size(content), false, false, null, null);
        ClientSettings settings = ClientSettings.uniform("client.posthorn.test", Duration.ofSeconds(10))
                .withSecurity(secure.security());
        try (DestinationSession s = new DestinationSession(new Route.Mx(domain, port, routeTls),
                secure.resolver(), settings, 10)) {
            return s.deliver(m);
        }
    }
}
