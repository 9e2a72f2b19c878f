package dev.posthorn.submission;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.posthorn.smtp.protocol.ListenerRole;
import dev.posthorn.testing.ExternalTool;
import dev.posthorn.testing.RunningServer;
import dev.posthorn.testing.SmtpWire;
import dev.posthorn.tls.TlsConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Certificates as a client on the submission ports sees them: the self-signed one made on first start (logged,
 * kept in the data dir), PEM files in certbot's layout replaced without a restart, and SNI.
 */
class SubmissionCertificatesTest {

    static final String HOST = "mx.posthorn.test";

    @TempDir
    Path dir;
    ListAppender<ILoggingEvent> log;
    Logger tlsLogger;
    Level previousLevel;

    @BeforeEach
    void captureTlsLog() {
        tlsLogger = (Logger) LoggerFactory.getLogger("dev.posthorn.tls");
        previousLevel = tlsLogger.getLevel();
        tlsLogger.setLevel(Level.INFO);
        tlsLogger.setAdditive(false);
        log = new ListAppender<>();
        log.start();
        tlsLogger.addAppender(log);
    }

    @AfterEach
    void stopCapturing() {
        tlsLogger.detachAppender(log);
        tlsLogger.setAdditive(true);
        tlsLogger.setLevel(previousLevel);
    }

    private List<String> logLines() {
        return log.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    /** The leaf certificate served on 465 and, through STARTTLS, on 587, which must be the same. */
    private static X509Certificate served(RunningServer server, String serverName) throws IOException {
        X509Certificate implicit;
        try (SmtpWire wire = SmtpWire.connectTlsWithSni(server.port(ListenerRole.SUBMISSIONS), serverName)) {
            assertThat(wire.reply()).startsWith("220 ");
            implicit = wire.peerCertificate();
        }
        try (SmtpWire plain = SmtpWire.connect(server.port(ListenerRole.SUBMISSION))) {
            plain.reply();
            plain.command("EHLO client.test");
            assertThat(plain.command("STARTTLS")).isEqualTo("220 2.0.0 Ready to start TLS");
            try (SmtpWire wire = plain.startTlsWithSni(serverName)) {
                assertThat(wire.peerCertificate()).isEqualTo(implicit);
                assertThat(wire.command("EHLO client.test")).startsWith("250-");
            }
        }
        return implicit;
    }

    private static List<String> dnsNames(X509Certificate cert) throws CertificateParsingException {
        return cert.getSubjectAlternativeNames().stream().filter(n -> (Integer) n.get(0) == 2)
                .map(n -> (String) n.get(1)).toList();
    }

    @Test
    void withoutConfigurationASelfSignedCertificateIsMadeLoggedAndKept() throws Exception {
        X509Certificate first;
        try (RunningServer server = RunningServer.start(dir)) {
            first = served(server, HOST);
        }
        assertThat(dnsNames(first)).containsExactly(HOST);
        assertThat(first.getIssuerX500Principal()).isEqualTo(first.getSubjectX500Principal());
        assertThat(logLines()).anyMatch(l -> l.contains("generated a self-signed certificate for " + HOST));
        try (var files = Files.list(dir.resolve("tls"))) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).isNotEmpty();
        }
        log.list.clear();
        try (RunningServer again = RunningServer.start(dir)) {
            assertThat(served(again, HOST)).isEqualTo(first);
        }
        assertThat(logLines()).noneMatch(l -> l.contains("generated a self-signed"));
        assertThat(logLines()).anyMatch(l -> l.contains("using the self-signed certificate for " + HOST));
    }

    /** A key and certificate for {@code name}, made with openssl as an operator would. */
    private void issue(Path certFile, Path keyFile, String name) throws Exception {
        Path tmp = Files.createTempDirectory(dir, "issue");
        ExternalTool.Result result = ExternalTool.run(List.of("openssl", "req", "-x509", "-newkey", "ec",
                "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "30", "-subj", "/CN=" + name,
                "-addext", "subjectAltName=DNS:" + name, "-keyout", tmp.resolve("key.pem").toString(),
                "-out", tmp.resolve("cert.pem").toString()), 30);
        assertThat(result.exitCode()).as(result.output()).isZero();
        // Like certbot: new files appear whole (renamed into place), never half-written.
        Files.createDirectories(certFile.getParent());
        Files.move(tmp.resolve("key.pem"), keyFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.move(tmp.resolve("cert.pem"), certFile, StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }

    @Test
    void pemFilesInCertbotLayoutAreReloadedWithoutRestart() throws Exception {
        Path live = dir.resolve("letsencrypt/live/" + HOST);
        Path fullchain = live.resolve("fullchain.pem");
        Path privkey = live.resolve("privkey.pem");
        issue(fullchain, privkey, HOST);
        try (RunningServer server = RunningServer.start(dir.resolve("data"), c -> {
            c.tls.cert = fullchain.toString();
            c.tls.key = privkey.toString();
            c.tls.reloadSeconds = 0;
        })) {
            X509Certificate before = served(server, HOST);
            assertThat(dnsNames(before)).containsExactly(HOST);
            assertThat(before.getIssuerX500Principal().getName()).isEqualTo("CN=" + HOST);

            Thread.sleep(1100); // a different modification time even on coarse file systems
            issue(fullchain, privkey, HOST); // the renewal
            X509Certificate after = served(server, HOST);
            assertThat(after.getSerialNumber()).isNotEqualTo(before.getSerialNumber());
            assertThat(after.getPublicKey()).isNotEqualTo(before.getPublicKey());
        }
        assertThat(logLines()).anyMatch(l -> l.contains("reloaded certificates"));
    }

    @Test
    void sniChoosesTheCertificateByServerName() throws Exception {
        Path main = dir.resolve("live/" + HOST);
        Path other = dir.resolve("live/mail.other.test");
        issue(main.resolve("fullchain.pem"), main.resolve("privkey.pem"), HOST);
        issue(other.resolve("fullchain.pem"), other.resolve("privkey.pem"), "mail.other.test");
        try (RunningServer server = RunningServer.start(dir.resolve("data"), c -> {
            c.tls.cert = main.resolve("fullchain.pem").toString();
            c.tls.key = main.resolve("privkey.pem").toString();
            c.tls.certificates = List.of(new TlsConfig.CertificatePair(other.resolve("fullchain.pem").toString(),
                    other.resolve("privkey.pem").toString()));
        })) {
            assertThat(dnsNames(served(server, "mail.other.test"))).containsExactly("mail.other.test");
            assertThat(dnsNames(served(server, HOST))).containsExactly(HOST);
            // An unknown name gets the default certificate.
            assertThat(dnsNames(served(server, "unknown.example"))).containsExactly(HOST);
        }
    }
}
