package dev.posthorn.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A raw SMTP client for conformance tests: sends exact bytes (bare LFs, pipelined groups, over-long lines)
 * and reads whole replies, so a test can assert exactly what a client on the wire would see.
 */
public final class SmtpWire implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    public SmtpWire(Socket socket) throws IOException {
        this.socket = socket;
        this.socket.setSoTimeout(5000);
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    public static SmtpWire connect(int port) throws IOException {
        return new SmtpWire(new Socket("127.0.0.1", port));
    }

    /** Connects from a given local address: any of 127.0.0.0/8 is this machine, so tests can be many clients. */
    public static SmtpWire connectFrom(java.net.InetAddress local, int port) throws IOException {
        return new SmtpWire(new Socket(java.net.InetAddress.getByName("127.0.0.1"), port, local, 0));
    }

    /** {@link #connectTls} from a given local address. */
    public static SmtpWire connectTlsFrom(java.net.InetAddress local, int port) throws IOException {
        Socket plain = new Socket(java.net.InetAddress.getByName("127.0.0.1"), port, local, 0);
        plain.setSoTimeout(5000);
        return new SmtpWire(handshake(plain, "mx.posthorn.test"));
    }

    /** Connects to an implicit-TLS port (465, RFC 8314): the handshake comes before the greeting. */
    public static SmtpWire connectTls(int port, String... protocols) throws IOException {
        Socket plain = new Socket("127.0.0.1", port);
        plain.setSoTimeout(5000);
        return new SmtpWire(handshake(plain, "mx.posthorn.test", protocols));
    }

    /**
     * A client logged in on the submission port (587) the way mail clients do it: greeting, EHLO, STARTTLS, EHLO
     * again (RFC 3207 §4.2: nothing said before TLS counts), then AUTH PLAIN. Each step must succeed, or this
     * throws with the reply that did not; the returned wire is the TLS one, ready for MAIL FROM.
     */
    public static SmtpWire submitting(int port, String user, String password) throws IOException {
        SmtpWire wire = connect(port);
        try {
            expect(wire.reply(), "220 ");
            expect(wire.command("EHLO client.test"), "250");
            expect(wire.command("STARTTLS"), "220 ");
            SmtpWire tls = wire.startTls();
            expect(tls.command("EHLO client.test"), "250");
            expect(tls.command("AUTH PLAIN " + plain(user, password)), "235 ");
            return tls;
        } catch (IOException | RuntimeException e) {
            wire.close();
            throw e;
        }
    }

    /** {@link #submitting} on an implicit-TLS port (465, RFC 8314): greeting, EHLO, AUTH PLAIN, all under TLS. */
    public static SmtpWire submittingTls(int port, String user, String password) throws IOException {
        SmtpWire tls = connectTls(port);
        try {
            expect(tls.reply(), "220 ");
            expect(tls.command("EHLO client.test"), "250");
            expect(tls.command("AUTH PLAIN " + plain(user, password)), "235 ");
            return tls;
        } catch (IOException | RuntimeException e) {
            tls.close();
            throw e;
        }
    }

    /** The argument of {@code AUTH PLAIN} (RFC 4616 §2): no authorization identity, the user, the password. */
    public static String plain(String user, String password) {
        return java.util.Base64.getEncoder().encodeToString(("\0" + user + "\0" + password)
                .getBytes(StandardCharsets.UTF_8));
    }

    private static void expect(String reply, String prefix) throws IOException {
        if (!reply.startsWith(prefix)) {
            throw new IOException("expected a reply starting '" + prefix + "', got: " + reply);
        }
    }

    /**
     * STARTTLS, client side: wraps this connection's socket in TLS (trusting any certificate, as the test
     * server's is self-signed) and completes the handshake. Call it after reading the {@code 220} reply to
     * STARTTLS; use the returned wire from then on. {@code protocols} limits the versions offered (none: JDK
     * defaults).
     */
    public SmtpWire startTls(String... protocols) throws IOException {
        return new SmtpWire(handshake(socket, "mx.posthorn.test", protocols));
    }

    /** {@link #startTls} asking for {@code serverName} by SNI. */
    public SmtpWire startTlsWithSni(String serverName) throws IOException {
        return new SmtpWire(handshake(socket, serverName, new String[0]));
    }

    /** {@link #connectTls} asking for {@code serverName} by SNI. */
    public static SmtpWire connectTlsWithSni(int port, String serverName) throws IOException {
        Socket plain = new Socket("127.0.0.1", port);
        plain.setSoTimeout(5000);
        return new SmtpWire(handshake(plain, serverName, new String[0]));
    }

    private static SSLSocket handshake(Socket plain, String serverName, String... protocols) throws IOException {
        SSLSocket tls = (SSLSocket) trustingEverything().getSocketFactory()
                .createSocket(plain, serverName, plain.getPort(), true);
        if (protocols.length > 0) {
            tls.setEnabledProtocols(protocols);
        }
        tls.setSoTimeout(5000);
        tls.startHandshake();
        return tls;
    }

    /** A client TLS context that accepts any server certificate (tests only). */
    public static SSLContext trustingEverything() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {new X509TrustManager() {
                @Override
                public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType) {
                }

                @Override
                public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType) {
                }

                @Override
                public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                    return new java.security.cert.X509Certificate[0];
                }
            }}, null);
            return context;
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The certificate the server presented (the leaf), or null on a plaintext connection. */
    public java.security.cert.X509Certificate peerCertificate() throws IOException {
        return socket instanceof SSLSocket tls
                ? (java.security.cert.X509Certificate) tls.getSession().getPeerCertificates()[0] : null;
    }

    /** The negotiated TLS protocol, or null on a plaintext connection. */
    public String tlsProtocol() {
        return socket instanceof SSLSocket tls ? tls.getSession().getProtocol() : null;
    }

    public SmtpWire send(String text) throws IOException {
        return sendBytes(text.getBytes(StandardCharsets.UTF_8));
    }

    public SmtpWire sendBytes(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** Reads one complete reply (all its lines), e.g. "250-a\r\n250 b". Throws on timeout or EOF. */
    public String reply() throws IOException {
        StringBuilder reply = new StringBuilder();
        while (true) {
            String line = line();
            if (line == null) {
                throw new IOException("connection closed; reply so far: " + reply);
            }
            reply.append(reply.isEmpty() ? "" : "\n").append(line);
            if (line.length() < 4 || line.charAt(3) != '-') {
                return reply.toString();
            }
        }
    }

    /** Sends a command line (CRLF added) and returns its reply. */
    public String command(String line) throws IOException {
        send(line + "\r\n");
        return reply();
    }

    /** The first line of the next reply: "250 2.1.0 Sender OK". */
    public String replyLine() throws IOException {
        String reply = reply();
        int newline = reply.lastIndexOf('\n');
        return newline < 0 ? reply : reply.substring(newline + 1);
    }

    /**
     * The replies to what was sent so far, however many: sends {@code HELP} as a sentinel and returns every reply
     * that comes before its {@code 214}. Replies are answered in order (RFC 2920), so nothing the earlier
     * commands could still cause is missed, and no waiting is needed to show that no extra reply comes.
     */
    public List<String> repliesBeforeSentinel() throws IOException {
        send("HELP\r\n");
        List<String> replies = new ArrayList<>();
        while (true) {
            String reply = reply();
            if (reply.startsWith("214 ")) {
                return replies;
            }
            replies.add(reply);
        }
    }

    /**
     * Everything the server sends until it closes the connection, as lines (a TLS alert comes out as a line of
     * binary); the close is the sentinel. Throws if the connection is still open after the read timeout.
     */
    public List<String> linesUntilClosed() throws IOException {
        List<String> lines = new ArrayList<>();
        try {
            while (true) {
                String line = line();
                if (line == null) {
                    return lines;
                }
                lines.add(line);
            }
        } catch (SocketTimeoutException e) {
            throw new IOException("the server did not close the connection; it sent " + lines, e);
        } catch (IOException e) {
            return lines; // reset by the server: closed too
        }
    }

    /** True when the server has closed the connection (EOF within the timeout). */
    public boolean closedByServer() throws IOException {
        socket.setSoTimeout(3000);
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    private String line() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int previous = -1;
        while (true) {
            int b = in.read();
            if (b < 0) {
                return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
            }
            if (b == '\n' && previous == '\r') {
                byte[] bytes = line.toByteArray();
                return new String(bytes, 0, bytes.length - 1, StandardCharsets.UTF_8);
            }
            line.write(b);
            previous = b;
        }
    }

    public Socket socket() {
        return socket;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
