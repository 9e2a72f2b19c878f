package dev.posthorn.delivery.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.posthorn.delivery.fixtures.PolicyWebServer;
import dev.posthorn.delivery.fixtures.UnboundServer;
import dev.posthorn.delivery.remote.MxResolver;
import dev.posthorn.delivery.DnsConfig;
import dev.posthorn.tls.TestPki;
import java.io.OutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLSocket;
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
    static DnsLookup lookup;
    static SSLContext serverTls;
    static SSLContext trustingCa;
    /** The addresses of mta-sts.closing.test and mta-sts.trickle.test, after 127.0.0.1. */
    static final List<String> MANY_ADDRESSES = List.of("127.0.0.21", "127.0.0.22", "127.0.0.23", "127.0.0.24");

    @BeforeAll
    static void start() throws Exception {
        TestPki.Issued ca = TestPki.issue(TestPki.ec(), null, true, "Posthorn Test CA");
        List<String> names = List.of("ok", "redirect", "html", "huge", "slow", "chunked", "trunc", "nolength", "closing",
                "trickle");
        TestPki.Issued cert = TestPki.issue(TestPki.ec(), ca, false, names.stream().map(n -> "mta-sts." + n + ".test")
                .toArray(String[]::new));
        web = PolicyWebServer.start(cert.keys().getPrivate(), cert.cert(), ca.cert());
        serverTls = serverContext(cert, ca);
        trustingCa = context(ca);
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
        List<String> data = new ArrayList<>(names.stream().map(n -> "mta-sts." + n + ".test. A 127.0.0.1").toList());
        // Policy hosts with many addresses, all failing.
        for (String n : List.of("closing", "trickle")) {
            MANY_ADDRESSES.forEach(a -> data.add("mta-sts." + n + ".test. A " + a));
        }
        dns = UnboundServer.start(Files.createDirectories(dir.resolve("dns")), List.of("test."), data);
        DnsConfig config = new DnsConfig();
        config.servers = List.of(dns.address());
        lookup = DnsLookup.plain(MxResolver.resolverFor(config));
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

    private static SSLContext serverContext(TestPki.Issued cert, TestPki.Issued ca) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("k", cert.keys().getPrivate(), "x".toCharArray(), new X509Certificate[] {cert.cert(), ca.cert()});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "x".toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }

    /**
     * A policy server of our own making, for what the JDK's HTTP server never does: on 127.0.0.1 and
     * {@code more} addresses at one port, each connection is handed to {@code answer} after the TLS handshake
     * and the request; the TCP connection is then closed without TLS close_notify (as an attacker's FIN would).
     */
    private static final class RawPolicyServer implements AutoCloseable {
        final AtomicInteger connections = new AtomicInteger();
        final List<ServerSocket> listeners = new ArrayList<>();

        interface Answer {
            void write(OutputStream out) throws Exception;
        }

        RawPolicyServer(List<String> more, Answer answer) throws IOException {
            listeners.add(new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1")));
            for (String a : more) {
                listeners.add(new ServerSocket(port(), 50, InetAddress.getByName(a)));
            }
            for (ServerSocket l : listeners) {
                Thread.ofVirtual().start(() -> {
                    while (!l.isClosed()) {
                        try {
                            Socket tcp = l.accept();
                            connections.incrementAndGet();
                            Thread.ofVirtual().start(() -> serve(tcp, answer));
                        } catch (IOException closed) {
                            return;
                        }
                    }
                });
            }
        }

        int port() {
            return listeners.get(0).getLocalPort();
        }

        private static void serve(Socket tcp, Answer answer) {
            try (tcp) {
                SSLSocket tls = (SSLSocket) serverTls.getSocketFactory().createSocket(tcp, null, tcp.getPort(), false);
                tls.setUseClientMode(false);
                InputStream in = tls.getInputStream();
                int last = 0;
                for (int c; (c = in.read()) >= 0; ) { // the request, up to its blank line
                    if (c == '\n' && last == '\n') {
                        break;
                    }
                    if (c != '\r') {
                        last = c;
                    }
                }
                answer.write(tls.getOutputStream());
            } catch (Exception ignored) {
                // The client went away.
            }
        }

        @Override
        public void close() throws IOException {
            for (ServerSocket l : listeners) {
                l.close();
            }
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

    @Test
    void aBodyCutShortOfItsContentLengthIsNoPolicy() throws Exception {
        // An attacker cannot forge the policy, but can cut the TCP stream: "max_age: 31557600" would become
        // "max_age: 3", and the cached policy (RFC 8461 §5.1) would be gone three seconds later.
        String full = "version: STSv1\nmode: enforce\nmx: mx.trunc.test\nmax_age: 31557600\n";
        String cut = full.substring(0, full.indexOf("max_age: ") + "max_age: 3".length());
        try (RawPolicyServer server = new RawPolicyServer(List.of(), out -> {
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + full.length() + "\r\n\r\n"
                    + cut).getBytes(StandardCharsets.US_ASCII));
            out.flush();
        })) {
            PolicyFetcher f = new PolicyFetcher(lookup, trustingCa, Duration.ofSeconds(3), server.port());

            assertThatThrownBy(() -> f.fetch("trunc.test")).isInstanceOf(PolicyFetcher.FetchFailed.class)
                    .hasMessageContaining("ended the policy after " + cut.length() + " of " + full.length()
                            + " bytes: cut short");
        }
    }

    @Test
    void aBodyEndedOnlyByTheConnectionIsNoPolicy() throws Exception {
        // The JDK cannot tell a clean end of a TLS stream from a cut one, so such a body is never trusted.
        try (RawPolicyServer server = new RawPolicyServer(List.of(), out -> {
            out.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nversion: STSv1\nmode: enforce\nmx: mx.nolength.test\nmax_age: 86400\n"
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
        })) {
            PolicyFetcher f = new PolicyFetcher(lookup, trustingCa, Duration.ofSeconds(3), server.port());

            assertThatThrownBy(() -> f.fetch("nolength.test")).isInstanceOf(PolicyFetcher.FetchFailed.class)
                    .hasMessageContaining("neither Content-Length nor chunked encoding");
        }
    }

    @Test
    void aFetchTriesAtMostThreeAddresses() throws Exception {
        // Five addresses whose servers close every connection after the request.
        try (RawPolicyServer server = new RawPolicyServer(MANY_ADDRESSES, out -> { })) {
            PolicyFetcher f = new PolicyFetcher(lookup, trustingCa, Duration.ofSeconds(3), server.port());

            assertThatThrownBy(() -> f.fetch("closing.test")).isInstanceOf(PolicyFetcher.FetchFailed.class);
            assertThat(server.connections.get()).isEqualTo(3);
        }
    }

    @Test
    void oneDeadlineCoversTheWholeFetch() throws Exception {
        // Five addresses whose servers send one byte of the status line every 300 ms, forever: no read ever times
        // out; only the fetch's deadline (twice the 1 s time-out) ends it, once for all addresses.
        try (RawPolicyServer server = new RawPolicyServer(MANY_ADDRESSES, out -> {
            for (byte b : "HTTP/1.1 200 OK, slowly".repeat(100).getBytes(StandardCharsets.US_ASCII)) {
                out.write(b);
                out.flush();
                Thread.sleep(300);
            }
        })) {
            PolicyFetcher f = new PolicyFetcher(lookup, trustingCa, Duration.ofSeconds(1), server.port());
            long start = System.nanoTime();

            assertThatThrownBy(() -> f.fetch("trickle.test")).isInstanceOf(PolicyFetcher.FetchFailed.class)
                    .hasMessageContaining("no complete answer within 2 s");
            // Each address with a deadline of its own would take 2 s apiece: 6 s for three.
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(4500));
        }
    }
}
