package dev.posthorn.tls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Server-side TLS for STARTTLS (RFC 3207) and implicit TLS on 465 (RFC 8314): the JDK's JSSE with our
 * key manager (certificates by SNI, replaced when the PEM files change) and a fixed policy:
 * TLS 1.3 and 1.2 only (RFC 8996, RFC 9325 §4.1), for TLS 1.2 only ECDHE key exchange with AEAD
 * ciphers (RFC 9325 §4.2), the server's cipher order, no client certificates.
 *
 * <p>Thread-safe: one instance serves every listener.
 */
public final class ServerTls {

    private static final Logger LOG = LoggerFactory.getLogger(ServerTls.class);

    static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};
    /** Preference order: TLS 1.3 suites, then TLS 1.2 ECDHE with AES-GCM or ChaCha20-Poly1305. */
    static final List<String> PREFERRED_SUITES = List.of(
            "TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");

    static {
        // TLS 1.2 client-initiated renegotiation costs the server a full handshake per request and SMTP never
        // needs it (testssl: "Secure Client-Initiated Renegotiation VULNERABLE, potential DoS threat").
        // The JDK reads this property once, when its server handshake code first loads, which is after
        // this class is set up since every server-side handshake goes through it. Unless set explicitly.
        if (System.getProperty("jdk.tls.rejectClientInitiatedRenegotiation") == null) {
            System.setProperty("jdk.tls.rejectClientInitiatedRenegotiation", "true");
        }
    }

    private final List<Source> sources;
    private final long reloadMillis;
    private final SniKeyManager keyManager;
    private final SSLContext context;
    private final SSLSocketFactory factory;
    private final SSLParameters parameters;
    private volatile List<Stamp> stamps;
    private volatile long lastCheck;

    private record Source(Path cert, Path key) {
    }

    private record Stamp(Object modified, long size, Object fileKey) {
        static Stamp of(Path file) {
            try {
                BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
                return new Stamp(a.lastModifiedTime(), a.size(), a.fileKey());
            } catch (NoSuchFileException e) {
                return new Stamp(null, -1, null);
            } catch (IOException e) {
                return new Stamp(null, -2, null);
            }
        }
    }

    private ServerTls(List<Source> sources, List<CertifiedKey> keys, long reloadMillis) {
        this.sources = sources;
        this.reloadMillis = reloadMillis;
        this.keyManager = new SniKeyManager(keys);
        this.stamps = stampsOf(sources);
        this.lastCheck = System.currentTimeMillis();
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(new KeyManager[] {keyManager}, null, null);
            this.context = context;
            this.factory = context.getSocketFactory();
            this.parameters = parameters(context);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK's TLS implementation is unavailable: " + e.getMessage(), e);
        }
    }

    /**
     * Loads the configured certificates, or with none configured the self-signed certificate for
     * {@code hostname} under {@code <dataDir>/tls} (generated on first start).
     *
     * @throws UncheckedIOException if a configured file is missing or unusable (the message names it)
     */
    public static ServerTls create(TlsConfig cfg, Path dataDir, String hostname) {
        TlsConfig config = cfg == null ? new TlsConfig() : cfg;
        config.validate();
        try {
            if (config.cert == null) {
                CertifiedKey selfSigned = SelfSigned.loadOrCreate(dataDir, hostname);
                return new ServerTls(List.of(), List.of(selfSigned), Long.MAX_VALUE);
            }
            List<Source> sources = new ArrayList<>();
            sources.add(new Source(Path.of(config.cert), Path.of(config.key)));
            if (config.certificates != null) {
                for (TlsConfig.CertificatePair pair : config.certificates) {
                    sources.add(new Source(Path.of(pair.cert), Path.of(pair.key)));
                }
            }
            List<CertifiedKey> keys = load(sources);
            for (CertifiedKey key : keys) {
                LOG.info("TLS: certificate for {} valid until {}", key.names(), key.leaf().getNotAfter().toInstant());
            }
            return new ServerTls(List.copyOf(sources), keys, config.reloadSeconds * 1000);
        } catch (IOException e) {
            throw new UncheckedIOException("TLS: " + e.getMessage(), e);
        }
    }

    /**
     * STARTTLS: wraps the accepted plaintext socket in server mode and completes the handshake. The
     * caller guarantees no plaintext is buffered beyond the STARTTLS line, and sets the socket's read
     * timeout, which also bounds the handshake. On failure the socket is closed (RFC 3207 §4.1: the
     * plaintext state cannot be trusted) and the IOException thrown.
     */
    public SSLSocket startTls(Socket plain) throws IOException {
        return handshake(plain);
    }

    /** Implicit TLS (port 465, RFC 8314 §3.3): the handshake before the greeting. Same contract as {@link #startTls}. */
    public SSLSocket implicitTls(Socket accepted) throws IOException {
        return handshake(accepted);
    }

    private SSLSocket handshake(Socket socket) throws IOException {
        Objects.requireNonNull(socket, "socket");
        reloadIfDue();
        // With an InputStream argument (none consumed here) the JDK makes a server-mode socket.
        SSLSocket ssl = (SSLSocket) factory.createSocket(socket, null, true);
        ssl.setSSLParameters(parameters());
        try {
            ssl.startHandshake();
            return ssl;
        } catch (IOException | RuntimeException e) {
            try {
                ssl.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e instanceof IOException io ? io : new IOException("TLS handshake failed: " + e.getMessage(), e);
        }
    }

    /**
     * Closes a TLS connection: sends close_notify and waits at most {@code wait} for the client's.
     * Use it instead of {@link SSLSocket#close()}: on JDK 25 a plain close of a TLS 1.3 server socket
     * blocks until the client answers with its close_notify or the socket's read timeout passes (5 s
     * timeout = 5 s close, measured), so a silent client would hold the session for a full command timeout.
     */
    public static void close(SSLSocket socket, java.time.Duration wait) {
        try {
            socket.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, wait.toMillis())));
        } catch (IOException e) {
            // Already closed or broken: close() below still releases it.
        }
        try {
            socket.close();
        } catch (IOException e) {
            // The peer went away first; nothing left to release.
        }
    }

    /**
     * The context behind every handshake, for servers that do their own (the web server over HTTPS): its key
     * manager is the one {@link #reloadIfChanged()} updates. Use it with {@link #parameters()}.
     */
    public SSLContext sslContext() {
        return context;
    }

    /** A copy of the parameters every handshake uses. */
    public SSLParameters parameters() {
        SSLParameters copy = new SSLParameters(parameters.getCipherSuites(), parameters.getProtocols());
        copy.setUseCipherSuitesOrder(true);
        copy.setNeedClientAuth(false);
        copy.setWantClientAuth(false);
        return copy;
    }

    /** The DNS names of the certificates now in use, default first (for logs and {@code config check}). */
    public List<List<String>> certificateNames() {
        return keyManager.keys().stream().map(CertifiedKey::names).toList();
    }

    /**
     * Reloads the certificates if any configured file changed (modification time, size or file key).
     * A set that fails to load is logged and the previous one kept. Returns true if new ones were loaded.
     */
    public boolean reloadIfChanged() {
        lastCheck = System.currentTimeMillis();
        if (sources.isEmpty()) {
            return false;
        }
        List<Stamp> now = stampsOf(sources);
        if (now.equals(stamps)) {
            return false;
        }
        synchronized (this) {
            if (now.equals(stamps)) {
                return false;
            }
            stamps = now; // also after a failure: retry when the files change again, not on every handshake
            try {
                List<CertifiedKey> keys = load(sources);
                keyManager.replace(keys);
                LOG.info("TLS: reloaded certificates {}", keys.stream().map(CertifiedKey::names).toList());
                return true;
            } catch (IOException e) {
                LOG.warn("TLS: keeping the current certificates, the changed files cannot be used: {}", e.getMessage());
                return false;
            }
        }
    }

    /** {@link #reloadIfChanged()} at most every {@code tls.reload_seconds}: cheap enough to call per handshake. */
    public void reloadIfDue() {
        if (!sources.isEmpty() && System.currentTimeMillis() - lastCheck >= reloadMillis) {
            reloadIfChanged();
        }
    }

    private static List<CertifiedKey> load(List<Source> sources) throws IOException {
        List<CertifiedKey> keys = new ArrayList<>();
        for (Source source : sources) {
            keys.add(PemFiles.load(source.cert(), source.key()));
        }
        return keys;
    }

    private static List<Stamp> stampsOf(List<Source> sources) {
        List<Stamp> stamps = new ArrayList<>();
        for (Source s : sources) {
            stamps.add(Stamp.of(s.cert()));
            stamps.add(Stamp.of(s.key()));
        }
        return stamps;
    }

    private static SSLParameters parameters(SSLContext context) {
        List<String> supported = Arrays.asList(context.getSupportedSSLParameters().getCipherSuites());
        String[] suites = PREFERRED_SUITES.stream().filter(supported::contains).toArray(String[]::new);
        SSLParameters p = new SSLParameters(suites, PROTOCOLS.clone());
        p.setUseCipherSuitesOrder(true);
        p.setNeedClientAuth(false);
        p.setWantClientAuth(false);
        return p;
    }
}
