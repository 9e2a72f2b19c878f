package dev.posthorn.web;

import dev.posthorn.tls.ServerTls;
import dev.posthorn.web.http.Fallbacks;
import dev.posthorn.web.http.Routes;
import dev.posthorn.web.http.RoutingHandler;
import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLParameters;
import org.eclipse.jetty.compression.gzip.GzipCompression;
import org.eclipse.jetty.compression.server.CompressionHandler;
import org.eclipse.jetty.io.ssl.SslHandshakeListener;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Posthorn's one web server: Jetty 12 (its core API, no servlets) on a small pool of platform threads, gzip
 * for clients that ask, and HTTPS with the SMTP server's own certificates when configured. Features are
 * {@link WebModule}s that register routes; everything else (headers, caching, errors) is shared.
 *
 * <p>Why not virtual threads, as the SMTP sessions use: a virtual thread that computes is never preempted, so
 * a few CPU-bound requests (a long pasted bounce to explain) would hold every carrier thread and an SMTP
 * client would wait for its greeting. Platform threads are scheduled by the OS, and a bounded pool caps how
 * much of the machine the web can take.
 */
public final class WebServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WebServer.class);
    /** A pasted bounce can make a long URL (GET /explain?line=...): 64 KiB of request line and headers. */
    static final int MAX_REQUEST_HEADER = 64 * 1024;
    /** Jetty's acceptor and selector take one thread each; the rest answer requests. */
    public static final int MAX_THREADS = 8;

    private final Server server;
    private final ServerConnector connector;
    private final boolean tls;

    private final WebSettings settings;

    private WebServer(Server server, ServerConnector connector, WebSettings settings) {
        this.server = server;
        this.connector = connector;
        this.tls = settings.tls();
        this.settings = settings;
    }

    /**
     * Starts listening. {@code tlsMaterial} is used when {@code settings.tls()}; it may be null otherwise.
     *
     * @throws IOException when the address cannot be bound; the message names it
     */
    public static WebServer start(WebSettings settings, ServerTls tlsMaterial, Fallbacks fallbacks,
                                  List<WebModule> modules) throws IOException {
        Routes routes = new Routes();
        modules.forEach(m -> m.register(routes));

        // Platform threads, bounded, and no virtual-thread executor: see the class comment.
        QueuedThreadPool threads = new QueuedThreadPool(MAX_THREADS, 2);
        threads.setName("web");
        Server server = new Server(threads);
        server.setStopAtShutdown(false);
        ErrorHandler errors = new ErrorHandler();
        errors.setShowStacks(false);
        server.setErrorHandler(errors);

        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        http.setRequestHeaderSize(MAX_REQUEST_HEADER);
        ServerConnector connector;
        if (settings.tls()) {
            if (tlsMaterial == null) {
                throw new IllegalArgumentException("web.tls needs the server's TLS material");
            }
            // The certificate names the mail host, not necessarily the name in the browser's address bar.
            http.addCustomizer(new SecureRequestCustomizer(false, false, -1, false));
            connector = new ServerConnector(server, 1, 1, new SslConnectionFactory(sslFactory(tlsMaterial), "http/1.1"),
                    new HttpConnectionFactory(http));
            // New certificates (certbot renewals) are picked up as the SMTP listeners do, between handshakes.
            connector.addBean(new SslHandshakeListener() {
                @Override
                public void handshakeSucceeded(Event event) {
                    tlsMaterial.reloadIfDue();
                }
            });
        } else {
            connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        }
        connector.setHost(settings.bind());
        connector.setPort(settings.port());
        server.addConnector(connector);

        CompressionHandler compression = new CompressionHandler();
        compression.putCompression(new GzipCompression());
        // The port is known once the server listens (port 0 in tests): the handler asks for the address then.
        AtomicReference<String> baseUrl = new AtomicReference<>("");
        compression.setHandler(new RoutingHandler(routes, fallbacks, baseUrl::get));
        server.setHandler(compression);
        try {
            server.start();
        } catch (Exception e) {
            try {
                server.stop();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new IOException("cannot listen on " + settings.bind() + ":" + settings.port() + " (web): "
                    + e.getMessage(), e);
        }
        WebServer web = new WebServer(server, connector, settings);
        baseUrl.set(web.baseUrl());
        LOG.info("web on {}", web.url());
        return web;
    }

    private static SslContextFactory.Server sslFactory(ServerTls tls) {
        SslContextFactory.Server factory = new SslContextFactory.Server();
        factory.setSslContext(tls.sslContext());
        SSLParameters policy = tls.parameters();
        // The same policy as SMTP: TLS 1.3 and 1.2, ECDHE with AEAD ciphers, the server's order.
        factory.setIncludeProtocols(policy.getProtocols());
        factory.setIncludeCipherSuites(policy.getCipherSuites());
        factory.setUseCipherSuitesOrder(true);
        factory.setRenegotiationAllowed(false);
        return factory;
    }

    public int port() {
        return connector.getLocalPort();
    }

    /** "http://127.0.0.1:8025/": where the site's first page is. */
    public URI url() {
        String host = connector.getHost() == null || connector.getHost().isEmpty() ? "localhost" : connector.getHost();
        if (host.equals("0.0.0.0") || host.equals("::")) {
            host = "localhost";
        }
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return URI.create((tls ? "https" : "http") + "://" + host + ":" + port() + "/");
    }

    /**
     * Scheme and authority for the absolute links of pages and the sitemap (canonical, hreflang, sitemap
     * entries), never from a request's Host header, which anyone can set: [web] public_url when given;
     * otherwise the address the site listens on, or the server's host name when it listens on every
     * address or a public one (only loopback addresses are kept, as no other name reaches them).
     */
    public String baseUrl() {
        if (!settings.publicUrl().isEmpty()) {
            return settings.publicUrl();
        }
        String bind = connector.getHost() == null ? "" : connector.getHost();
        String host;
        if (isLoopback(bind) || settings.hostname().isEmpty()) {
            host = bind.isEmpty() || bind.equals("0.0.0.0") || bind.equals("::") ? "localhost" : bind;
        } else {
            host = settings.hostname();
        }
        if (host.contains(":") && !host.startsWith("[")) {
            host = "[" + host + "]";
        }
        boolean defaultPort = port() == (tls ? 443 : 80);
        return (tls ? "https" : "http") + "://" + host + (defaultPort ? "" : ":" + port());
    }

    private static boolean isLoopback(String address) {
        return address.equals("localhost") || address.startsWith("127.") || address.equals("::1")
                || address.equals("[::1]");
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            LOG.warn("web server did not stop cleanly: {}", e.getMessage());
        }
    }
}
