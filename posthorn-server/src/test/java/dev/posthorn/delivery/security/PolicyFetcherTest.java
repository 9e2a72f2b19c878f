package dev.posthorn.delivery.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.posthorn.delivery.fixtures.PolicyWebServer;
import dev.posthorn.delivery.fixtures.UnboundServer;
import dev.posthorn.delivery.remote.MxResolver;
import dev.posthorn.delivery.DnsConfig;
import dev.posthorn.tls.TestPki;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** RFC 8461 §3.3: how a policy may be fetched, and every way a policy server can fail to give one. */
class PolicyFetcherTest {

    @TempDir
    static Path dir;
    static UnboundServer dns;
    static PolicyWebServer web;
    static PolicyFetcher fetcher;
    static PolicyFetcher distrusting;

    @BeforeAll
    static void start() throws Exception {
        TestPki.Issued ca = TestPki.issue(TestPki.ec(), null, true, "Posthorn Test CA");
        List<String> names = List.of("ok", "redirect", "html", "huge", "slow", "chunked");
        TestPki.Issued cert = TestPki.issue(TestPki.ec(), ca, false, names.stream().map(n -> "mta-sts." + n + ".test")
                .toArray(String[]::new));
        web = PolicyWebServer.start(cert.keys().getPrivate(), cert.cert(), ca.cert());
        web.policies.put("ok.test", "version: STSv1\nmode: enforce\nmx: mx.ok.test\nmax_age: 86400\n");
        web.handlers.put("redirect.test", ex -> {
            byte[] moved = "moved".getBytes(StandardCharsets.US_ASCII);
            ex.getResponseHeaders().set("Location", "https://mta-sts.ok.test/.well-known/mta-sts.txt");
            ex.getResponseHeaders().set("Content-Type", "text/plain");
            ex.sendResponseHeaders(301, moved.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(moved);
            }
        });
        web.handlers.put("html.test", ex -> reply(ex, "text/html", "version: STSv1\nmode: enforce\nmx: a\nmax_age: 1\n"));
        web.handlers.put("huge.test", ex -> reply(ex, "text/plain", "x".repeat(70_000)));
        web.handlers.put("slow.test", ex -> {
            try {
                Thread.sleep(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            reply(ex, "text/plain", "late");
        });
        web.handlers.put("chunked.test", ex -> {
            ex.getResponseHeaders().set("Content-Type", "text/plain");
            ex.sendResponseHeaders(200, 0); // chunked transfer encoding
            try (OutputStream out = ex.getResponseBody()) {
                out.write("version: STSv1\nmode: testing\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                out.write("mx: mx.chunked.test\nmax_age: 600\n".getBytes(StandardCharsets.US_ASCII));
            }
        });
        dns = UnboundServer.start(Files.createDirectories(dir.resolve("dns")), List.of("test."),
                names.stream().map(n -> "mta-sts." + n + ".test. A 127.0.0.1").toList());
        DnsConfig config = new DnsConfig();
        config.servers = List.of(dns.address());
        DnsLookup lookup = DnsLookup.plain(MxResolver.resolverFor(config));
        fetcher = new PolicyFetcher(lookup, context(ca), Duration.ofSeconds(3), web.port());
        distrusting = new PolicyFetcher(lookup, context(TestPki.issue(TestPki.ec(), null, true, "Other CA")),
                Duration.ofSeconds(3), web.port());
    }

    private static void reply(com.sun.net.httpserver.HttpExchange ex, String type, String body) throws java.io.IOException {
        byte[] bytes = body.getBytes(StandardCharsets.US_ASCII);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static SSLContext context(TestPki.Issued anchor) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setCertificateEntry("ca", anchor.cert());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    @AfterAll
    static void stop() throws Exception {
        web.close();
        dns.close();
    }

    @Test
    void aPolicyIsFetchedOverVerifiedHttps() throws Exception {
        assertThat(fetcher.fetch("ok.test")).startsWith("version: STSv1\nmode: enforce");
        assertThat(fetcher.fetch("chunked.test")).isEqualTo("version: STSv1\nmode: testing\nmx: mx.chunked.test\nmax_age: 600\n");
    }

    @Test
    void aRedirectIsNotFollowed() {
        int before = web.requests.size();
        assertThatThrownBy(() -> fetcher.fetch("redirect.test")).hasMessageContaining("301").hasMessageContaining("not 200");
        assertThat(web.requests.subList(before, web.requests.size())).containsExactly("mta-sts.redirect.test");
    }

    @Test
    void onlyTextPlainOfAtMost64KiBIsTaken() {
        assertThatThrownBy(() -> fetcher.fetch("html.test")).hasMessageContaining("'text/html', not text/plain");
        assertThatThrownBy(() -> fetcher.fetch("huge.test")).hasMessageContaining("more than 64 KiB");
    }

    @Test
    void anUntrustedCertificateOrASlowServerGivesNoPolicy() {
        assertThatThrownBy(() -> distrusting.fetch("ok.test")).isInstanceOf(PolicyFetcher.FetchFailed.class)
                .hasMessageContaining("cannot fetch https://mta-sts.ok.test/");
        long start = System.nanoTime();
        assertThatThrownBy(() -> fetcher.fetch("slow.test")).isInstanceOf(PolicyFetcher.FetchFailed.class);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
        assertThatThrownBy(() -> fetcher.fetch("absent.test")).hasMessageContaining("mta-sts.absent.test has no address");
    }
}
