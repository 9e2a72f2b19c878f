package dev.posthorn.tls;

import static dev.posthorn.tls.TestPki.KeyFormat.PKCS8;
import static dev.posthorn.tls.TestPki.KeyFormat.TRADITIONAL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ServerTlsTest {

    @TempDir
    Path dir;

    // ---- self-signed certificate of a first run ----

    @Test
    void selfSignedCertificateIsGeneratedOnFirstStartAndReusedLater() throws Exception {
        ServerTls first = ServerTls.create(new TlsConfig(), dir, "mx.example.test");
        Path certFile = dir.resolve("tls/selfsigned-fullchain.pem");
        Path keyFile = dir.resolve("tls/selfsigned-privkey.pem");
        assertThat(certFile).exists();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile))).isEqualTo("rw-------");
        String certPem = Files.readString(certFile);
        String keyPem = Files.readString(keyFile);

        X509Certificate served = TlsTestClient.connect(first, false, null, null, null).leaf();
        assertThat(served).isEqualTo(readCert(certFile));
        assertThat(served.getSubjectAlternativeNames()).containsExactly(List.of(2, "mx.example.test"));
        assertThat(served.getNotAfter().getTime() - served.getNotBefore().getTime())
                .isGreaterThan(365L * 24 * 3600 * 1000);

        ServerTls second = ServerTls.create(null, dir, "mx.example.test");
        assertThat(Files.readString(certFile)).isEqualTo(certPem);
        assertThat(Files.readString(keyFile)).isEqualTo(keyPem);
        assertThat(TlsTestClient.connect(second, false, null, null, null).leaf()).isEqualTo(served);
    }

    @Test
    void selfSignedCertificateIsReplacedWhenTheHostnameChanges() throws Exception {
        ServerTls.create(new TlsConfig(), dir, "old.example.test");
        ServerTls renamed = ServerTls.create(new TlsConfig(), dir, "new.example.test");
        assertThat(renamed.certificateNames()).containsExactly(List.of("new.example.test"));
        assertThat(readCert(dir.resolve("tls/selfsigned-fullchain.pem")).getSubjectAlternativeNames())
                .containsExactly(List.of(2, "new.example.test"));
    }

    // ---- protocol and cipher policy ----

    @Test
    void startTlsNegotiatesTls13AndReportsItForTheReceivedHeader() throws Exception {
        ServerTls tls = ServerTls.create(new TlsConfig(), dir, "mx.example.test");
        TlsTestClient.Result r = TlsTestClient.connect(tls, true, null, null, "mx.example.test");
        assertThat(r.echoed()).isEqualTo("echo hello");
        assertThat(r.protocol()).isEqualTo("TLSv1.3");
        assertThat(r.serverInfo()).isEqualTo(new TlsInfo("TLSv1.3", r.cipherSuite(), "mx.example.test"));
        assertThat(r.cipherSuite()).isIn("TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256");
        assertThat(r.serverInfo().receivedComment()).isEqualTo("version=TLSv1.3 cipher=" + r.cipherSuite());
    }

    @Test
    void tls12ClientGetsEcdheWithAnAeadCipher() throws Exception {
        ServerTls tls = ServerTls.create(new TlsConfig(), dir, "mx.example.test");
        TlsTestClient.Result r = TlsTestClient.connect(tls, true, new String[] {"TLSv1.2"}, null, null);
        assertThat(r.protocol()).isEqualTo("TLSv1.2");
        assertThat(r.cipherSuite()).startsWith("TLS_ECDHE_").containsAnyOf("_GCM_", "_CHACHA20_POLY1305_");
        assertThat(r.serverInfo().serverName()).isNull();
        assertThat(r.echoed()).isEqualTo("echo hello");
    }

    @Test
    void serverPrefersItsOwnCipherOrder() throws Exception {
        ServerTls tls = ServerTls.create(new TlsConfig(), dir, "mx.example.test");
        String[] clientOrder = {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"};
        TlsTestClient.Result r = TlsTestClient.connect(tls, false, new String[] {"TLSv1.2"}, clientOrder, null);
        assertThat(r.cipherSuite()).isEqualTo("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384");
        assertThat(tls.parameters().getUseCipherSuitesOrder()).isTrue();
        assertThat(tls.parameters().getProtocols()).containsExactly("TLSv1.3", "TLSv1.2");
        assertThat(tls.parameters().getNeedClientAuth()).isFalse();
        assertThat(tls.parameters().getWantClientAuth()).isFalse();
    }

    @ParameterizedTest
    @CsvSource({
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", // CBC: not AEAD
        "TLS_RSA_WITH_AES_128_GCM_SHA256",       // static RSA key exchange: no forward secrecy
        "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",   // finite-field DHE
    })
    void tls12SuitesOutsideThePolicyAreRefused(String suite) throws Exception {
        ServerTls tls = rsaServer();
        assertThatThrownBy(() -> TlsTestClient.connect(tls, false, new String[] {"TLSv1.2"}, new String[] {suite}, null))
                .isInstanceOf(SSLException.class);
    }

    @Test
    void javaClientLimitedToTls11CannotConnect() throws Exception {
        ServerTls tls = ServerTls.create(new TlsConfig(), dir, "mx.example.test");
        assertThatThrownBy(() -> TlsTestClient.connect(tls, false, new String[] {"TLSv1.1"}, null, null))
                .isInstanceOf(SSLException.class);
    }

    @Test
    void opensslClientOfferingOnlyTls11IsRefusedByTheServer() throws Exception {
        // The JDK client refuses TLS 1.1 before sending anything; openssl at security level 0 really offers it.
        Assumptions.assumeTrue(opensslAvailable(), "openssl not installed");
        ServerTls tls = ServerTls.create(new TlsConfig(), dir, "mx.example.test");
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Void> server = CompletableFuture.runAsync(() -> {
                try (Socket accepted = listener.accept()) {
                    accepted.setSoTimeout(10_000);
                    tls.implicitTls(accepted).close();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, task -> Thread.ofVirtual().start(task));
            Process client = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + listener.getLocalPort(),
                    "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0").redirectErrorStream(true).start();
            client.getOutputStream().close();
            String output = new String(client.getInputStream().readAllBytes());
            assertThat(client.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(client.exitValue()).as(output).isNotZero();
            assertThatThrownBy(() -> server.get(10, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(UncheckedIOException.class)
                    .cause().isInstanceOf(SSLException.class);
        }
    }

    @Test
    void closeDoesNotWaitLongForASilentClient() throws Exception {
        ServerTls tls = ServerTls.create(new TlsConfig(), dir, "mx.example.test");
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Long> server = CompletableFuture.supplyAsync(() -> {
                try (Socket accepted = listener.accept()) {
                    accepted.setSoTimeout(30_000); // a command timeout, as the session would set
                    javax.net.ssl.SSLSocket ssl = tls.implicitTls(accepted);
                    ssl.getOutputStream().write("221 bye\r\n".getBytes());
                    ssl.getOutputStream().flush();
                    long start = System.nanoTime();
                    ServerTls.close(ssl, java.time.Duration.ofMillis(200));
                    return (System.nanoTime() - start) / 1_000_000;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, task -> Thread.ofVirtual().start(task));
            try (Socket plain = new Socket(InetAddress.getLoopbackAddress(), listener.getLocalPort())) {
                javax.net.ssl.SSLSocket client = (javax.net.ssl.SSLSocket) TlsTestClient.trustingEverything()
                        .getSocketFactory().createSocket(plain, "127.0.0.1", listener.getLocalPort(), true);
                client.startHandshake();
                assertThat(TlsTestClient.readLine(client.getInputStream())).isEqualTo("221 bye");
                // The client neither reads further nor closes until the server is done.
                assertThat(server.get(10, TimeUnit.SECONDS)).isLessThan(5_000);
            }
        }
    }

    // ---- PEM files ----

    @ParameterizedTest(name = "{0} key as {1}")
    @CsvSource({"RSA, TRADITIONAL", "RSA, PKCS8", "EC, TRADITIONAL", "EC, PKCS8"})
    void pemKeysInPkcs1Sec1AndPkcs8(String algorithm, TestPki.KeyFormat format) throws Exception {
        KeyPair keys = algorithm.equals("RSA") ? TestPki.rsa() : TestPki.ec();
        TestPki.Issued issued = TestPki.issue(keys, null, false, "mx.example.test");
        Path cert = write("fullchain.pem", TestPki.certPem(issued.cert()));
        Path key = write("privkey.pem", TestPki.keyPem(keys.getPrivate(), format));
        assertThat(Files.readString(key)).startsWith(switch (format) {
            case PKCS8 -> "-----BEGIN PRIVATE KEY-----";
            case TRADITIONAL -> algorithm.equals("RSA") ? "-----BEGIN RSA PRIVATE KEY-----" : "-----BEGIN EC PRIVATE KEY-----";
        });

        ServerTls tls = ServerTls.create(config(cert, key), dir, "ignored.example.test");
        assertThat(TlsTestClient.connect(tls, true, null, null, null).leaf()).isEqualTo(issued.cert());
        assertThat(TlsTestClient.connect(tls, true, new String[] {"TLSv1.2"}, null, null).leaf()).isEqualTo(issued.cert());
        assertThat(dir.resolve("tls")).doesNotExist();
    }

    @Test
    void fullChainIsSentLeafFirst() throws Exception {
        TestPki.Issued ca = TestPki.issue(TestPki.ec(), null, true, "Test CA");
        TestPki.Issued leaf = TestPki.issue(TestPki.ec(), ca, false, "mx.example.test");
        Path cert = write("fullchain.pem", TestPki.certPem(leaf.cert(), ca.cert()));
        Path key = write("privkey.pem", TestPki.keyPem(leaf.keys().getPrivate(), PKCS8));
        TlsTestClient.Result r = TlsTestClient.connect(ServerTls.create(config(cert, key), dir, "h"), false, null, null, null);
        assertThat(r.peerChain()).containsExactly(leaf.cert(), ca.cert());
    }

    @Test
    void keysAndCertificatesMadeByOpenssl() throws Exception {
        Assumptions.assumeTrue(opensslAvailable(), "openssl not installed");
        // "EC PARAMETERS" followed by "EC PRIVATE KEY", as `openssl ecparam -genkey` writes it.
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-out", "ec.pem");
        openssl("req", "-x509", "-new", "-key", "ec.pem", "-subj", "/CN=ec.example.test",
                "-addext", "subjectAltName=DNS:ec.example.test", "-days", "2", "-out", "ec-cert.pem");
        openssl("genrsa", "-traditional", "-out", "rsa.pem", "2048");
        openssl("req", "-x509", "-new", "-key", "rsa.pem", "-subj", "/CN=rsa.example.test",
                "-addext", "subjectAltName=DNS:rsa.example.test", "-days", "2", "-out", "rsa-cert.pem");
        assertThat(Files.readString(dir.resolve("ec.pem"))).startsWith("-----BEGIN EC PARAMETERS-----");
        assertThat(Files.readString(dir.resolve("rsa.pem"))).startsWith("-----BEGIN RSA PRIVATE KEY-----");

        TlsConfig cfg = config(dir.resolve("ec-cert.pem"), dir.resolve("ec.pem"));
        cfg.certificates.add(new TlsConfig.CertificatePair(dir.resolve("rsa-cert.pem").toString(), dir.resolve("rsa.pem").toString()));
        ServerTls tls = ServerTls.create(cfg, dir, "h");
        assertThat(TlsTestClient.connect(tls, false, null, null, "ec.example.test").leaf())
                .isEqualTo(readCert(dir.resolve("ec-cert.pem")));
        assertThat(TlsTestClient.connect(tls, false, null, null, "rsa.example.test").leaf())
                .isEqualTo(readCert(dir.resolve("rsa-cert.pem")));
    }

    @Test
    void unusableFilesAreReportedByName() throws Exception {
        TestPki.Issued a = TestPki.issue(TestPki.ec(), null, false, "a.example.test");
        Path cert = write("cert.pem", TestPki.certPem(a.cert()));
        Path otherKey = write("other.pem", TestPki.keyPem(TestPki.ec().getPrivate(), PKCS8));
        assertThatThrownBy(() -> ServerTls.create(config(cert, otherKey), dir, "h"))
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("other.pem: the private key does not belong to the first certificate");
        assertThatThrownBy(() -> ServerTls.create(config(cert, dir.resolve("absent.pem")), dir, "h"))
                .hasMessageContaining("absent.pem: no such file");
        assertThatThrownBy(() -> ServerTls.create(config(otherKey, otherKey), dir, "h"))
                .hasMessageContaining("no certificate found");
        TlsConfig half = new TlsConfig();
        half.cert = cert.toString();
        assertThatThrownBy(() -> ServerTls.create(half, dir, "h")).hasMessageContaining("tls.cert and tls.key");
    }

    // ---- reload and SNI ----

    @Test
    void replacedCertificateIsUsedByNewHandshakesWithoutRestart() throws Exception {
        TestPki.Issued a = TestPki.issue(TestPki.ec(), null, false, "mx.example.test");
        Path cert = write("fullchain.pem", TestPki.certPem(a.cert()));
        Path key = write("privkey.pem", TestPki.keyPem(a.keys().getPrivate(), TRADITIONAL));
        TlsConfig cfg = config(cert, key);
        cfg.reloadSeconds = 0;
        ServerTls tls = ServerTls.create(cfg, dir, "h");
        assertThat(TlsTestClient.connect(tls, true, null, null, null).leaf()).isEqualTo(a.cert());

        TestPki.Issued b = TestPki.issue(TestPki.rsa(), null, false, "mx.example.test");
        TestPki.replace(key, TestPki.keyPem(b.keys().getPrivate(), PKCS8));
        TestPki.replace(cert, TestPki.certPem(b.cert()));
        assertThat(TlsTestClient.connect(tls, true, null, null, null).leaf()).isEqualTo(b.cert());

        // A broken replacement is refused and the working certificate stays.
        TestPki.replace(key, "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n");
        assertThat(tls.reloadIfChanged()).isFalse();
        assertThat(TlsTestClient.connect(tls, true, null, null, null).leaf()).isEqualTo(b.cert());
    }

    @Test
    void reloadWaitsForTheConfiguredInterval() throws Exception {
        TestPki.Issued a = TestPki.issue(TestPki.ec(), null, false, "mx.example.test");
        Path cert = write("fullchain.pem", TestPki.certPem(a.cert()));
        Path key = write("privkey.pem", TestPki.keyPem(a.keys().getPrivate(), PKCS8));
        ServerTls tls = ServerTls.create(config(cert, key), dir, "h"); // reload_seconds = 60
        TestPki.Issued b = TestPki.issue(TestPki.ec(), null, false, "mx.example.test");
        TestPki.replace(key, TestPki.keyPem(b.keys().getPrivate(), PKCS8));
        TestPki.replace(cert, TestPki.certPem(b.cert()));
        assertThat(TlsTestClient.connect(tls, false, null, null, null).leaf()).isEqualTo(a.cert());
        assertThat(tls.reloadIfChanged()).isTrue();
        assertThat(TlsTestClient.connect(tls, false, null, null, null).leaf()).isEqualTo(b.cert());
    }

    @Test
    void sniChoosesTheCertificateForTheRequestedName() throws Exception {
        TestPki.Issued a = TestPki.issue(TestPki.ec(), null, false, "a.example.test");
        TestPki.Issued b = TestPki.issue(TestPki.ec(), null, false, "b.example.test", "mail.b.example.test");
        TestPki.Issued w = TestPki.issue(TestPki.rsa(), null, false, "*.w.example.test");
        TlsConfig cfg = config(write("a.pem", TestPki.certPem(a.cert())), write("a.key", TestPki.keyPem(a.keys().getPrivate(), PKCS8)));
        cfg.certificates.add(pair("b", b));
        cfg.certificates.add(pair("w", w));
        ServerTls tls = ServerTls.create(cfg, dir, "h");

        assertThat(TlsTestClient.connect(tls, false, null, null, "b.example.test").leaf()).isEqualTo(b.cert());
        assertThat(TlsTestClient.connect(tls, true, null, null, "MAIL.b.example.test").leaf()).isEqualTo(b.cert());
        assertThat(TlsTestClient.connect(tls, false, null, null, "smtp.w.example.test").leaf()).isEqualTo(w.cert());
        assertThat(TlsTestClient.connect(tls, false, new String[] {"TLSv1.2"}, null, "smtp.w.example.test").leaf()).isEqualTo(w.cert());
        assertThat(TlsTestClient.connect(tls, false, null, null, "a.b.w.example.test").leaf()).as("wildcard covers one label").isEqualTo(a.cert());
        assertThat(TlsTestClient.connect(tls, false, null, null, "unknown.example.test").leaf()).isEqualTo(a.cert());
        assertThat(TlsTestClient.connect(tls, false, null, null, null).leaf()).isEqualTo(a.cert());
        TlsTestClient.Result r = TlsTestClient.connect(tls, false, null, null, "b.example.test");
        assertThat(r.serverInfo().serverName()).isEqualTo("b.example.test");
    }

    @Test
    void configBindsFromSnakeCase() throws Exception {
        TlsConfig cfg = new ObjectMapper().readValue("""
                {"cert": "/etc/letsencrypt/live/mx/fullchain.pem", "key": "/etc/letsencrypt/live/mx/privkey.pem",
                 "reload_seconds": 30, "certificates": [{"cert": "b.pem", "key": "b.key"}]}""", TlsConfig.class);
        assertThat(cfg.cert).isEqualTo("/etc/letsencrypt/live/mx/fullchain.pem");
        assertThat(cfg.reloadSeconds).isEqualTo(30);
        assertThat(cfg.certificates).singleElement().satisfies(p -> assertThat(p.key).isEqualTo("b.key"));
        assertThat(new TlsConfig().reloadSeconds).isEqualTo(60);
    }

    private TlsConfig.CertificatePair pair(String name, TestPki.Issued issued) throws Exception {
        return new TlsConfig.CertificatePair(write(name + ".pem", TestPki.certPem(issued.cert())).toString(),
                write(name + ".key", TestPki.keyPem(issued.keys().getPrivate(), TRADITIONAL)).toString());
    }

    private ServerTls rsaServer() throws Exception {
        TestPki.Issued r = TestPki.issue(TestPki.rsa(), null, false, "mx.example.test");
        return ServerTls.create(config(write("r.pem", TestPki.certPem(r.cert())),
                write("r.key", TestPki.keyPem(r.keys().getPrivate(), PKCS8))), dir, "h");
    }

    private static TlsConfig config(Path cert, Path key) {
        TlsConfig cfg = new TlsConfig();
        cfg.cert = cert.toString();
        cfg.key = key.toString();
        return cfg;
    }

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    private static X509Certificate readCert(Path file) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(file)));
    }

    private static boolean opensslAvailable() {
        try {
            return new ProcessBuilder("openssl", "version").redirectErrorStream(true).start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private void openssl(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(output).isZero();
    }
}
