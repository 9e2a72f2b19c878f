package dev.posthorn.delivery.security;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.IDN;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Fetches {@code https://mta-sts.<domain>/.well-known/mta-sts.txt} (RFC 8461 §3.3): the host name is resolved
 * through the configured {@code [dns]} servers like every other outbound lookup, the server must present a
 * certificate valid for {@code mta-sts.<domain>} under the trust store (the JDK's by default), and the answer must
 * be a {@code 200} with media type {@code text/plain} and at most 64 KiB. Redirects are refused (§3.3: "MUST NOT
 * follow redirects"). One HTTP/1.1 request with {@code Connection: close}; connect, handshake and each read have
 * the time-out, and the whole fetch (all addresses tried, at most {@value #MAX_ADDRESSES}) one deadline of twice
 * that. The body must come whole: with a {@code Content-Length} that it reaches, or chunked up to its last chunk.
 * A body delimited only by the end of the connection is refused, because the JDK's TLS socket reports a
 * connection cut without TLS close_notify as a normal end: an attacker on the path could otherwise truncate
 * {@code max_age: 31557600} to {@code max_age: 3}.
 */
public final class PolicyFetcher {

    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "mta-sts-fetch-watchdog");
        t.setDaemon(true);
        return t;
    });

    /** RFC 8461 §3.3 suggests a limit of 64 KiB for the policy body. */
    public static final int MAX_BODY = 64 * 1024;
    /** Addresses of the policy host tried in one fetch: enough for an IPv6 and an IPv4 failure and one more. */
    static final int MAX_ADDRESSES = 3;

    private final DnsLookup dns;
    private final SSLContext tls;
    private final Duration timeout;
    private final int port;

    /** @param port 443, except in tests */
    public PolicyFetcher(DnsLookup dns, SSLContext tls, Duration timeout, int port) {
        this.dns = dns;
        this.tls = tls;
        this.timeout = timeout;
        this.port = port;
    }

    /** Why a fetch gave no policy body. */
    public static final class FetchFailed extends Exception {
        public FetchFailed(String message) {
            super(message);
        }
    }

    /** The policy body, or why there is none. */
    public String fetch(String domain) throws FetchFailed {
        String host;
        try {
            host = "mta-sts." + IDN.toASCII(domain).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            throw new FetchFailed("'" + domain + "' is not a valid domain name");
        }
        long deadline = System.nanoTime() + 2 * timeout.toNanos();
        List<InetAddress> addresses = resolve(host);
        FetchFailed last = null;
        for (InetAddress address : addresses.subList(0, Math.min(MAX_ADDRESSES, addresses.size()))) {
            if (last != null && System.nanoTime() >= deadline) {
                break;
            }
            try {
                return get(host, address, deadline);
            } catch (FetchFailed e) {
                last = e;
            }
        }
        throw last;
    }

    private List<InetAddress> resolve(String host) throws FetchFailed {
        Name name;
        try {
            name = Name.fromString(host + ".");
        } catch (TextParseException e) {
            throw new FetchFailed(host + " is not a valid host name");
        }
        List<InetAddress> out = new ArrayList<>();
        String failure = null;
        for (int type : new int[] {Type.AAAA, Type.A}) {
            switch (dns.query(name, type)) {
                case DnsAnswer.Found f -> {
                    for (Record r : f.records()) {
                        if (r instanceof AAAARecord v6) {
                            out.add(v6.getAddress());
                        } else if (r instanceof ARecord v4) {
                            out.add(v4.getAddress());
                        }
                    }
                }
                case DnsAnswer.Failed f -> failure = f.reason();
                case DnsAnswer.Empty e -> {
                    // none of this family
                }
            }
        }
        if (out.isEmpty()) {
            throw new FetchFailed(failure != null ? failure : host + " has no address");
        }
        return out;
    }

    private String get(String host, InetAddress address, long deadline) throws FetchFailed {
        String where = host + " [" + address.getHostAddress() + "]:" + port;
        long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
        int millis = (int) Math.max(1, Math.min(timeout.toMillis(), left));
        Socket plain = new Socket();
        // The whole fetch, handshake included, ends at the deadline: the socket is closed under it.
        // The flag is set before the close: the reader can see "Socket closed" before the guard's task has returned,
        // and must still say that the deadline, not the peer, ended the fetch.
        AtomicBoolean expired = new AtomicBoolean();
        ScheduledFuture<?> guard = WATCHDOG.schedule(() -> {
            expired.set(true);
            closeQuietly(plain);
        }, left, TimeUnit.MILLISECONDS);
        try (plain) {
            plain.connect(new InetSocketAddress(address, port), millis);
            plain.setSoTimeout(millis);
            try (SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(plain, host, port, true)) {
                SSLParameters p = s.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must be valid for mta-sts.<domain>
                s.setSSLParameters(p);
                s.setSoTimeout(millis);
                s.startHandshake();
                OutputStream out = s.getOutputStream();
                out.write(("GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: Posthorn"
                        + "\r\nAccept: text/plain\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                return read(new java.io.BufferedInputStream(s.getInputStream(), 8192), where, deadline);
            }
        } catch (IOException | RuntimeException e) {
            throw new FetchFailed("cannot fetch https://" + host + "/.well-known/mta-sts.txt from " + where + ": "
                    + (expired.get() ? "no complete answer within " + 2 * timeout.toSeconds() + " s" : e.getMessage()));
        } finally {
            guard.cancel(false);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // Closing is how the deadline is enforced; nothing else to do.
        }
    }

    private String read(InputStream in, String where, long deadline) throws IOException, FetchFailed {
        String status = line(in, deadline);
        String[] parts = status.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new FetchFailed(where + " did not answer HTTP: '" + status + "'");
        }
        if (!parts[1].equals("200")) {
            // 3xx included: RFC 8461 §3.3 forbids following redirects.
            throw new FetchFailed(where + " answered '" + status + "', not 200");
        }
        String type = null;
        long length = -1;
        boolean chunked = false;
        for (String h = line(in, deadline); !h.isEmpty(); h = line(in, deadline)) {
            int colon = h.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String name = h.substring(0, colon).strip().toLowerCase(Locale.ROOT);
            String value = h.substring(colon + 1).strip();
            switch (name) {
                case "content-type" -> type = value.toLowerCase(Locale.ROOT);
                case "content-length" -> length = parseLength(value, where);
                case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                default -> {
                }
            }
        }
        if (type == null || !type.split(";")[0].strip().equals("text/plain")) {
            throw new FetchFailed(where + " served the policy as '" + type + "', not text/plain (RFC 8461 §3.2)");
        }
        if (length > MAX_BODY) {
            throw new FetchFailed(where + " announced a policy of " + length + " bytes, more than 64 KiB");
        }
        if (!chunked && length < 0) {
            throw new FetchFailed(where + " sent the policy with neither Content-Length nor chunked encoding: its "
                    + "end cannot be told from a connection cut short");
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (chunked) {
            for (long size = chunkSize(line(in, deadline)); size > 0; size = chunkSize(line(in, deadline))) {
                copy(in, body, size, where, deadline);
                line(in, deadline);
            }
        } else {
            copy(in, body, length, where, deadline);
        }
        return body.toString(StandardCharsets.UTF_8);
    }

    private static long parseLength(String value, String where) throws FetchFailed {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new FetchFailed(where + " sent a bad Content-Length '" + value + "'");
        }
    }

    private static long chunkSize(String line) throws IOException {
        try {
            return Long.parseLong(line.split(";")[0].strip(), 16);
        } catch (NumberFormatException e) {
            throw new IOException("bad chunk size '" + line + "'");
        }
    }

    private static void copy(InputStream in, ByteArrayOutputStream out, long n, String where, long deadline)
            throws IOException, FetchFailed {
        byte[] buf = new byte[8192];
        long left = n;
        while (left > 0) {
            checkDeadline(deadline);
            int r = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (r < 0) {
                // A cut connection (an attacker's FIN needs no TLS close_notify to look like an end here).
                throw new FetchFailed(where + " ended the policy after " + (n - left) + " of " + n
                        + " bytes: cut short");
            }
            out.write(buf, 0, r);
            left -= r;
            if (out.size() > MAX_BODY) {
                throw new FetchFailed(where + " sent a policy larger than 64 KiB");
            }
        }
    }

    /** One CRLF-terminated header line, at most 8 KiB. */
    private static String line(InputStream in, long deadline) throws IOException {
        StringBuilder b = new StringBuilder();
        while (true) {
            checkDeadline(deadline);
            int c = in.read();
            if (c < 0) {
                throw new IOException("connection closed in the HTTP header");
            }
            if (c == '\n') {
                int end = b.length() > 0 && b.charAt(b.length() - 1) == '\r' ? b.length() - 1 : b.length();
                return b.substring(0, end);
            }
            if (b.length() > 8192) {
                throw new IOException("HTTP header line too long");
            }
            b.append((char) c);
        }
    }

    private static void checkDeadline(long deadline) throws IOException {
        if (System.nanoTime() > deadline) {
            throw new IOException("the fetch took longer than its deadline");
        }
    }
}
