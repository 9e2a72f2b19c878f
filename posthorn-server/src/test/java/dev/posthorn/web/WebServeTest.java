package dev.posthorn.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.posthorn.config.ConfigException;
import dev.posthorn.config.ConfigLoader;
import dev.posthorn.config.PosthornConfig;
import dev.posthorn.testing.RunningServer;
import dev.posthorn.tls.ServerTls;
import dev.posthorn.tls.TlsConfig;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code [web]} in the configuration, {@code posthorn serve} starting the site, and the site over HTTPS. */
class WebServeTest {

    @Test
    void theWebSectionIsReadAndCheckedKeyByKey(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("posthorn.toml");
        Files.writeString(file, """
                [web]
                port = 8443
                bind = "0.0.0.0"
                tls = true
                public_url = "https://codes.example.com/"
                """);
        PosthornConfig config = ConfigLoader.load(file);
        assertThat(config.web.port).isEqualTo(8443);
        assertThat(config.web.tls).isTrue();
        assertThat(WebSettings.from(config.web, "").publicUrl()).isEqualTo("https://codes.example.com");
        assertThat(new PosthornConfig().web.port).as("posthorn serve's default").isEqualTo(8025);

        Files.writeString(file, "[web]\nport = 70000\npublic_url = \"codes.example.com/x\"\n");
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(file));
        assertThat(e.getMessage()).contains("web.port").contains("web.public_url");
    }

    @Test
    void serveStartsTheSiteAndPrintsItsAddress(@TempDir Path dir) throws Exception {
        int port = RunningServer.freePort();
        Path log = dir.resolve("serve.log");
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-cp", System.getProperty("java.class.path"), "dev.posthorn.cli.Main", "serve",
                "--data-dir", dir.resolve("data").toString(), "--hostname", "web.posthorn.test",
                "--mx-port", "0", "--submission-port", "0", "--smtps-port", "0", "--web-port", String.valueOf(port)));
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log.toFile())).start();
        try {
            Pattern line = Pattern.compile("web +(http://127\\.0\\.0\\.1:(\\d+)/)");
            Matcher found = null;
            long deadline = System.currentTimeMillis() + 60_000;
            while (found == null && System.currentTimeMillis() < deadline && process.isAlive()) {
                Matcher m = line.matcher(Files.readString(log));
                found = m.find() ? m : null;
                Thread.sleep(100);
            }
            assertThat(found).as("serve printed the web address:\n" + Files.readString(log)).isNotNull();
            assertThat(found.group(2)).isEqualTo(String.valueOf(port));
            HttpResponse<String> page = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(found.group(1) + "en/codes/530")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).contains("<h1>SMTP 530 Authentication Required</h1>");
        } finally {
            process.destroy();
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    @Test
    void overHttpsTheSiteUsesTheMailServersCertificateAndTlsPolicy(@TempDir Path dir) throws Exception {
        ServerTls tls = ServerTls.create(new TlsConfig(), dir, "localhost");
        try (WebServer web = ReferenceSite.builder(new WebSettings("127.0.0.1", 0, true, "", ""), "test").tls(tls).start()) {
            assertThat(web.url().getScheme()).isEqualTo("https");
            HttpClient client = HttpClient.newBuilder().sslContext(trusting(dir.resolve("tls/selfsigned-fullchain.pem")))
                    .build();
            HttpResponse<String> page = client.send(HttpRequest.newBuilder(
                    URI.create("https://localhost:" + web.port() + "/en/codes/250")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.sslSession()).hasValueSatisfying(s -> assertThat(s.getProtocol()).isIn("TLSv1.3", "TLSv1.2"));
            assertThat(page.body()).contains("<link rel=\"canonical\" href=\"https://127.0.0.1:" + web.port() + "/en/codes/250\">");
        }
    }

    private static SSLContext trusting(Path pem) throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(pem)) {
            int i = 0;
            for (var cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trust.setCertificateEntry("c" + i++, cert);
            }
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }
}
