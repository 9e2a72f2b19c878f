package dev.posthorn.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Real TCP and TLS on 127.0.0.1: a one-connection server using {@link ServerTls} and a JSSE client
 * that accepts any certificate (the tests check which one it got) with chosen protocols, suites and SNI.
 */
final class TlsTestClient {

    record Result(X509Certificate[] peerChain, String protocol, String cipherSuite, TlsInfo serverInfo, String echoed) {
        X509Certificate leaf() {
            return peerChain[0];
        }
    }

    private static final java.util.concurrent.Executor VIRTUAL = task -> Thread.ofVirtual().start(task);

    private TlsTestClient() {
    }

    static SSLContext trustingEverything() throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        return context;
    }

    /**
     * Implicit TLS (or STARTTLS when {@code startTls}: a plaintext "220" line first, then the upgrade on the
     * same TCP connection). The server echoes one line inside TLS to prove the channel works.
     */
    static Result connect(ServerTls tls, boolean startTls, String[] protocols, String[] suites, String sni) throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<TlsInfo> server = CompletableFuture.supplyAsync(() -> serveOne(tls, listener, startTls), VIRTUAL);
            try (Socket plain = new Socket(InetAddress.getLoopbackAddress(), listener.getLocalPort())) {
                plain.setSoTimeout(10_000);
                if (startTls) {
                    String banner = readLine(plain.getInputStream());
                    if (!banner.equals("220 ready")) {
                        throw new IOException("unexpected banner " + banner);
                    }
                }
                SSLSocket ssl = (SSLSocket) trustingEverything().getSocketFactory()
                        .createSocket(plain, "127.0.0.1", listener.getLocalPort(), true);
                SSLParameters params = ssl.getSSLParameters();
                if (protocols != null) {
                    params.setProtocols(protocols);
                }
                if (suites != null) {
                    params.setCipherSuites(suites);
                }
                params.setServerNames(sni == null ? List.of() : List.of(new SNIHostName(sni)));
                ssl.setSSLParameters(params);
                try {
                    ssl.startHandshake();
                    ssl.getOutputStream().write("hello\r\n".getBytes(StandardCharsets.US_ASCII));
                    ssl.getOutputStream().flush();
                    String echoed = readLine(ssl.getInputStream());
                    var session = ssl.getSession();
                    // The client hangs up first, as SMTP clients do after QUIT; then the server side finishes.
                    ssl.close();
                    TlsInfo info = server.get(10, TimeUnit.SECONDS);
                    return new Result((X509Certificate[]) session.getPeerCertificates(),
                            session.getProtocol(), session.getCipherSuite(), info, echoed);
                } catch (IOException e) {
                    // Close first so the server is not left waiting, then let it finish: its failure is part of what the test sees.
                    ssl.close();
                    try {
                        server.get(10, TimeUnit.SECONDS);
                    } catch (Exception serverFailure) {
                        e.addSuppressed(serverFailure);
                    }
                    throw e;
                } finally {
                    ssl.close();
                }
            }
        }
    }

    private static TlsInfo serveOne(ServerTls tls, ServerSocket listener, boolean startTls) {
        try (Socket accepted = listener.accept()) {
            accepted.setSoTimeout(10_000);
            SSLSocket ssl;
            if (startTls) {
                OutputStream out = accepted.getOutputStream();
                out.write("220 ready\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                ssl = tls.startTls(accepted);
            } else {
                ssl = tls.implicitTls(accepted);
            }
            try (ssl) {
                String line = readLine(ssl.getInputStream());
                ssl.getOutputStream().write(("echo " + line + "\r\n").getBytes(StandardCharsets.US_ASCII));
                ssl.getOutputStream().flush();
                return TlsInfo.of(ssl);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }
}
