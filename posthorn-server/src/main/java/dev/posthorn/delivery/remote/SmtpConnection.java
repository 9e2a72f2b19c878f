package dev.posthorn.delivery.remote;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * One outbound SMTP connection (RFC 5321 client side): greeting, EHLO with HELO fallback, STARTTLS, AUTH, then
 * any number of transactions, each with MAIL and RCPT pipelined when the server offers PIPELINING (RFC 2920) and
 * the content sent with BDAT when it offers CHUNKING (RFC 3030), else DATA with dot-stuffing.
 * Every read has the timeout of RFC 5321 §4.5.3.2 for its phase; writes are bounded by a watchdog that closes the
 * socket, since Java sockets have no write timeout.
 */
public final class SmtpConnection implements Closeable {

    private static final ScheduledExecutorService WATCHDOG = watchdog();
    private static final int CHUNK = 256 * 1024;

    private final ClientSettings settings;
    private final String remoteName;
    private final InetSocketAddress address;
    private Socket socket;
    private ReplyReader in;
    private OutputStream out;
    private RemoteReply greeting;
    private Map<String, String> extensions = Map.of();
    private boolean esmtp;
    private boolean tls;
    private boolean dirty;
    private int transactions;
    private RemoteReply startTlsRefusal;

    private SmtpConnection(ClientSettings settings, String remoteName, InetSocketAddress address) {
        this.settings = settings;
        this.remoteName = remoteName;
        this.address = address;
    }

    /**
     * Connects and reads the greeting. A refused connection or a timeout becomes an {@link SmtpClientException}
     * with a synthesised 4xx reply; a greeting other than 220 is thrown with the remote's own reply.
     */
    public static SmtpConnection open(InetSocketAddress address, String remoteName, ClientSettings settings)
            throws SmtpClientException {
        SmtpConnection c = new SmtpConnection(settings, remoteName, address);
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(address, millis(settings.connect()));
        } catch (ConnectException e) {
            closeQuietly(s);
            throw new SmtpClientException(RemoteReply.local(451, "4.4.1", "Connection refused by " + describe(remoteName, address)),
                    "connect", e);
        } catch (SocketTimeoutException e) {
            closeQuietly(s);
            throw new SmtpClientException(RemoteReply.local(451, "4.4.1", "Connection to " + describe(remoteName, address)
                    + " timed out"), "connect", e);
        } catch (IOException e) {
            closeQuietly(s);
            throw new SmtpClientException(RemoteReply.local(451, "4.4.1", "Cannot connect to " + describe(remoteName, address)
                    + ": " + e.getMessage()), "connect", e);
        }
        try {
            c.attach(s);
            c.greeting = c.readReply(settings.greeting());
        } catch (IOException e) {
            c.close();
            throw asClientException(e);
        }
        if (c.greeting.code() != 220) {
            c.quitQuietly();
            throw new SmtpClientException(c.greeting, "greeting refused");
        }
        return c;
    }

    private void attach(Socket s) throws IOException {
        this.socket = s;
        this.in = new ReplyReader(s.getInputStream());
        this.out = new BufferedOutputStream(s.getOutputStream(), 65536);
    }

    public RemoteReply greeting() {
        return greeting;
    }

    public InetSocketAddress address() {
        return address;
    }

    public String remoteName() {
        return remoteName;
    }

    public boolean tlsActive() {
        return tls;
    }

    /** The reply with which the server refused STARTTLS after offering it, or null. */
    public RemoteReply startTlsRefusal() {
        return startTlsRefusal;
    }

    public int transactions() {
        return transactions;
    }

    /** Whether the server announced the EHLO keyword (case-insensitive). */
    public boolean supports(String keyword) {
        return extensions.containsKey(keyword.toUpperCase(Locale.ROOT));
    }

    /** The parameter of an EHLO keyword ("SIZE 1000000" gives "1000000"), "" when it has none, null when absent. */
    public String extensionParam(String keyword) {
        return extensions.get(keyword.toUpperCase(Locale.ROOT));
    }

    /** EHLO, and HELO when the server refuses EHLO with a 5xx (RFC 5321 §3.2). */
    public void hello() throws IOException {
        send("EHLO " + settings.heloName());
        RemoteReply ehlo = readReply(settings.command());
        if (ehlo.positive()) {
            esmtp = true;
            extensions = parseExtensions(ehlo);
            return;
        }
        if (!ehlo.permanentFailure()) {
            throw new SmtpClientException(ehlo, "EHLO refused");
        }
        send("HELO " + settings.heloName());
        RemoteReply helo = readReply(settings.command());
        if (!helo.positive()) {
            throw new SmtpClientException(helo, "HELO refused");
        }
        esmtp = false;
        extensions = Map.of();
    }

    /**
     * STARTTLS and a new EHLO (RFC 3207). Returns false when the server does not offer it or refuses it with a
     * 4xx/5xx, leaving the connection usable in plaintext; a failed handshake throws, the connection being lost.
     *
     * @param verify check the certificate chain and host name; otherwise any certificate is accepted
     */
    public boolean startTls(boolean verify) throws IOException {
        try {
            return startTls(verify ? SSLContext.getDefault() : trustAll(), verify);
        } catch (java.security.GeneralSecurityException e) {
            throw new SmtpClientException(RemoteReply.local(451, "4.7.5", "No TLS available: " + e.getMessage()), "TLS");
        }
    }

    /**
     * STARTTLS with the server's certificate judged by {@code trust} alone (DANE or MTA-STS checks, which look at
     * names themselves). The server name indication is the MX host name.
     */
    public boolean startTls(X509TrustManager trust) throws IOException {
        return startTls(trust, null);
    }

    /**
     * As {@link #startTls(X509TrustManager)}, sending {@code serverName} as the server name indication when not
     * null: under DANE, the TLSA base domain (RFC 7672 §8.1), which for an MX host that is an alias is its target.
     */
    public boolean startTls(X509TrustManager trust, String serverName) throws IOException {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {trust}, new SecureRandom());
            return startTls(ctx, false, serverName);
        } catch (java.security.GeneralSecurityException e) {
            throw new SmtpClientException(RemoteReply.local(451, "4.7.5", "No TLS available: " + e.getMessage()), "TLS");
        }
    }

    private boolean startTls(SSLContext ctx, boolean endpointIdentification) throws IOException {
        return startTls(ctx, endpointIdentification, null);
    }

    private boolean startTls(SSLContext ctx, boolean endpointIdentification, String serverName) throws IOException {
        if (tls || !supports("STARTTLS")) {
            return false;
        }
        send("STARTTLS");
        RemoteReply r = readReply(settings.command());
        if (r.code() != 220) {
            startTlsRefusal = r;
            return false;
        }
        if (in.buffered() > 0) {
            // RFC 3207 §5 and CVE-2011-0411-style injection: nothing may follow the 220 before the handshake.
            close();
            throw new SmtpClientException(RemoteReply.local(451, "4.7.0", "Remote sent data after its STARTTLS reply"),
                    "STARTTLS injection");
        }
        try {
            SSLSocket ssl = (SSLSocket) ctx.getSocketFactory().createSocket(socket, serverName != null ? serverName
                    : remoteName != null ? remoteName : address.getHostString(), address.getPort(), true);
            ssl.setUseClientMode(true);
            if (endpointIdentification) {
                SSLParameters p = ssl.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS");
                ssl.setSSLParameters(p);
            }
            ssl.setSoTimeout(millis(settings.command()));
            // The handshake has the command time-out for each read; a watchdog bounds it as a whole.
            ScheduledFuture<?> guard = WATCHDOG.schedule(this::close, settings.command().toMillis(), TimeUnit.MILLISECONDS);
            try {
                ssl.startHandshake();
            } finally {
                guard.cancel(false);
            }
            attach(ssl);
            tls = true;
        } catch (IOException e) {
            close();
            throw new SmtpClientException(RemoteReply.local(451, "4.7.5", "TLS handshake with " + describe(remoteName, address)
                    + " failed: " + e.getMessage()), "TLS handshake", e);
        }
        extensions = Map.of();
        hello();
        return true;
    }

    /** AUTH PLAIN (RFC 4616) when offered, else AUTH LOGIN; a refusal throws with the remote's reply. */
    public void authenticate(String user, String password) throws IOException {
        String mechs = extensionParam("AUTH");
        Set<String> offered = new TreeSet<>();
        if (mechs != null) {
            for (String m : mechs.toUpperCase(Locale.ROOT).split("\\s+")) {
                offered.add(m);
            }
        }
        RemoteReply r;
        if (offered.contains("PLAIN") || !offered.contains("LOGIN")) {
            String token = b64("\0" + user + "\0" + password);
            send("AUTH PLAIN " + token);
            r = readReply(settings.command());
            if (r.code() == 334) {
                // A server that wants the initial response on its own line (RFC 4954 §4).
                send(token);
                r = readReply(settings.command());
            }
        } else {
            send("AUTH LOGIN");
            r = readReply(settings.command());
            if (r.code() == 334) {
                send(b64(user));
                r = readReply(settings.command());
            }
            if (r.code() == 334) {
                send(b64(password));
                r = readReply(settings.command());
            }
        }
        if (r.code() != 235) {
            if (r.code() == 334) {
                send("*");
                readReply(settings.command());
            }
            throw new SmtpClientException(r, "authentication failed");
        }
    }

    /**
     * Runs one transaction. Recipients' fates are in the result; an exception means the connection is lost and
     * every recipient of this transaction is still undelivered.
     */
    public TransactionResult send(OutboundMessage m) throws IOException {
        RemoteReply refusal = refuseBeforeSending(m);
        if (refusal != null) {
            return new TransactionResult(refusal, List.of(), null);
        }
        if (dirty) {
            send("RSET");
            RemoteReply r = readReply(settings.command());
            if (!r.positive()) {
                throw new SmtpClientException(r, "RSET refused");
            }
            dirty = false;
        }
        dirty = true;
        transactions++;
        boolean dsn = supports("DSN");
        boolean pipelining = supports("PIPELINING");
        boolean chunking = supports("CHUNKING");

        List<String> commands = new ArrayList<>(m.recipients().size() + 2);
        commands.add(mailCommand(m, dsn));
        for (OutboundMessage.Recipient rcpt : m.recipients()) {
            commands.add(rcptCommand(rcpt, dsn, m.smtputf8()));
        }
        // RFC 2920 §3.1: DATA may end a pipelined group. RFC 3030 §4.2: so may BDAT, with its data; a small
        // message then costs one round trip. If no recipient is accepted the server rejects the BDAT.
        boolean pipelineData = pipelining && !chunking;
        boolean pipelineChunk = pipelining && chunking && m.size() <= CHUNK && Files.size(m.content()) <= CHUNK;
        if (pipelineData) {
            commands.add("DATA");
        }

        RemoteReply mailReply;
        List<RemoteReply> rcptReplies = new ArrayList<>(m.recipients().size());
        RemoteReply dataInit = null;
        if (pipelining) {
            for (String c : commands) {
                write(c);
            }
            if (pipelineChunk) {
                byte[] content = Files.readAllBytes(m.content());
                write("BDAT " + content.length + " LAST");
                writeBytes(content, 0, content.length, settings.dataBlock());
            }
            flush(settings.command());
            mailReply = readReply(settings.command());
            for (int i = 0; i < m.recipients().size(); i++) {
                rcptReplies.add(readReply(settings.command()));
            }
            if (pipelineData) {
                dataInit = readReply(settings.dataInit());
            }
            if (pipelineChunk) {
                RemoteReply chunkReply = afterData("BDAT", readReply(settings.dataEnd()));
                boolean accepted = mailReply.positive() && rcptReplies.stream().anyMatch(RemoteReply::positive);
                dirty = !(accepted && chunkReply.positive());
                return new TransactionResult(mailReply, rcptReplies, accepted ? chunkReply : null);
            }
        } else {
            send(commands.get(0));
            mailReply = readReply(settings.command());
            if (!mailReply.positive()) {
                return new TransactionResult(mailReply, List.of(), null);
            }
            for (int i = 0; i < m.recipients().size(); i++) {
                send(commands.get(i + 1));
                rcptReplies.add(readReply(settings.command()));
            }
        }
        boolean anyAccepted = mailReply.positive() && rcptReplies.stream().anyMatch(RemoteReply::positive);
        if (!anyAccepted) {
            if (dataInit != null && dataInit.code() == 354) {
                // A server that said 354 with no recipient: end the empty message, its reply no longer matters.
                write(".");
                flush(settings.dataEnd());
                readReply(settings.dataEnd());
                dirty = false;
            }
            return new TransactionResult(mailReply, rcptReplies, null);
        }
        RemoteReply dataReply;
        if (chunking) {
            dataReply = sendChunks(m);
        } else {
            if (dataInit == null) {
                send("DATA");
                dataInit = readReply(settings.dataInit());
            }
            if (dataInit.code() != 354) {
                // RFC 5321 §4.1.1.4: only 354 lets the data go; a 250 here delivered nothing.
                return new TransactionResult(mailReply, rcptReplies, dataInit.code() >= 400 ? dataInit
                        : protocolError("DATA", dataInit));
            }
            sendDotStuffed(m);
            dataReply = readReply(settings.dataEnd());
        }
        dataReply = afterData("the end of the data", dataReply);
        dirty = !dataReply.positive();
        return new TransactionResult(mailReply, rcptReplies, dataReply);
    }

    /** A reply after the data must say delivered (2xx) or refused (4xx, 5xx); a 3xx is a protocol error. */
    private RemoteReply afterData(String step, RemoteReply reply) {
        return reply.code() / 100 == 3 ? protocolError(step, reply) : reply;
    }

    /**
     * A reply the step does not allow: the server and we no longer agree on the state, so the connection is
     * closed and the recipients are deferred with a synthesised 451 4.5.0 (nothing counts as delivered).
     */
    private RemoteReply protocolError(String step, RemoteReply reply) {
        close();
        return RemoteReply.local(451, "4.5.0", "Protocol error: " + describe(remoteName, address) + " answered " + step
                + " with \"" + reply.oneLine() + "\"");
    }

    /** QUIT and close; errors are ignored, the work being done. */
    public void quitQuietly() {
        try {
            if (socket != null && !socket.isClosed()) {
                send("QUIT");
                readReply(Duration.ofSeconds(10));
            }
        } catch (IOException ignored) {
            // The remote may close first; nothing to do.
        } finally {
            close();
        }
    }

    @Override
    public void close() {
        closeQuietly(socket);
    }

    public boolean isOpen() {
        return socket != null && !socket.isClosed();
    }

    /** Checks that need no command: what the EHLO reply already tells us the remote will not take. */
    private RemoteReply refuseBeforeSending(OutboundMessage m) {
        if (m.smtputf8() && !supports("SMTPUTF8")) {
            // RFC 6531 §3.2: a message that needs SMTPUTF8 must not be sent to a server that lacks it.
            return RemoteReply.local(554, "5.6.7", describe(remoteName, address)
                    + " does not support SMTPUTF8, which this message needs (non-ASCII addresses or headers)");
        }
        if (m.eightBit() && !supports("8BITMIME") && hasEightBitBytes(m)) {
            // RFC 6152 §3: 8-bit data must not go to a server without 8BITMIME; Posthorn does not convert it.
            return RemoteReply.local(554, "5.6.3", describe(remoteName, address)
                    + " does not support 8BITMIME, which this message needs, and Posthorn does not convert messages");
        }
        String size = extensionParam("SIZE");
        if (size != null && !size.isEmpty()) {
            try {
                long limit = Long.parseLong(size);
                if (limit > 0 && m.size() > limit) {
                    // RFC 1870 §6: the client should not send a message larger than the announced limit.
                    return RemoteReply.local(552, "5.3.4", "Message of " + m.size() + " bytes exceeds the limit of "
                            + limit + " bytes announced by " + describe(remoteName, address));
                }
            } catch (NumberFormatException ignored) {
                // A malformed SIZE parameter announces no limit we can use.
            }
        }
        return null;
    }

    /** Whether the content really has octets above 127 (a BODY=8BITMIME message is often plain ASCII). */
    private static boolean hasEightBitBytes(OutboundMessage m) {
        try (InputStream in = Files.newInputStream(m.content())) {
            byte[] buf = new byte[65536];
            int n;
            while ((n = in.read(buf)) > 0) {
                for (int i = 0; i < n; i++) {
                    if (buf[i] < 0) {
                        return true;
                    }
                }
            }
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    private String mailCommand(OutboundMessage m, boolean dsn) {
        StringBuilder c = new StringBuilder(64).append("MAIL FROM:<").append(m.sender()).append('>');
        if (esmtp) {
            if (supports("SIZE")) {
                c.append(" SIZE=").append(m.size());
            }
            if (m.eightBit() && supports("8BITMIME")) {
                c.append(" BODY=8BITMIME");
            }
            if (m.smtputf8() && supports("SMTPUTF8")) {
                c.append(" SMTPUTF8");
            }
            if (dsn && m.ret() != null) {
                c.append(" RET=").append(m.ret());
            }
            if (dsn && m.envid() != null) {
                c.append(" ENVID=").append(m.envid());
            }
        }
        return c.toString();
    }

    private static String rcptCommand(OutboundMessage.Recipient r, boolean dsn, boolean smtputf8) {
        StringBuilder c = new StringBuilder(64).append("RCPT TO:<").append(r.address()).append('>');
        if (dsn) {
            if (!r.notifyOn().isEmpty()) {
                c.append(" NOTIFY=").append(String.join(",", new TreeSet<>(r.notifyOn())));
            }
            if (r.orcpt() != null) {
                c.append(" ORCPT=").append(r.orcpt());
            }
        }
        return c.toString();
    }

    private RemoteReply sendChunks(OutboundMessage m) throws IOException {
        // One BDAT per chunk (RFC 3030 §2): no dot-stuffing, exact octet counts, a reply per chunk.
        long remaining = Files.size(m.content());
        try (InputStream file = Files.newInputStream(m.content())) {
            byte[] buf = new byte[(int) Math.min(CHUNK, Math.max(remaining, 1))];
            do {
                int n = (int) Math.min(buf.length, remaining);
                int read = file.readNBytes(buf, 0, n);
                if (read != n) {
                    throw new IOException("message file shrank while sending: " + m.content());
                }
                remaining -= n;
                boolean last = remaining == 0;
                write("BDAT " + n + (last ? " LAST" : ""));
                writeBytes(buf, 0, n, settings.dataBlock());
                flush(settings.dataBlock());
                RemoteReply r = readReply(last ? settings.dataEnd() : settings.dataBlock());
                if (last || !r.positive()) {
                    return r;
                }
            } while (true);
        }
    }

    private void sendDotStuffed(OutboundMessage m) throws IOException {
        // RFC 5321 §4.5.2: a line that starts with "." gets one more.
        byte[] buf = new byte[65536];
        byte[] outBuf = new byte[65536 * 2 + 8];
        boolean atLineStart = true;
        byte last = '\n';
        boolean any = false;
        try (InputStream file = Files.newInputStream(m.content())) {
            int n;
            while ((n = file.read(buf)) > 0) {
                int o = 0;
                for (int i = 0; i < n; i++) {
                    byte b = buf[i];
                    if (atLineStart && b == '.') {
                        outBuf[o++] = '.';
                    }
                    outBuf[o++] = b;
                    atLineStart = b == '\n';
                }
                last = buf[n - 1];
                any = true;
                writeBytes(outBuf, 0, o, settings.dataBlock());
            }
        }
        if (any && last != '\n') {
            writeBytes(new byte[] {'\r', '\n'}, 0, 2, settings.dataBlock());
        }
        write(".");
        flush(settings.dataBlock());
    }

    private RemoteReply readReply(Duration timeout) throws IOException {
        socket.setSoTimeout(millis(timeout));
        try {
            return in.read();
        } catch (SmtpClientException e) {
            close();
            throw e;
        } catch (IOException e) {
            close();
            throw asClientException(e);
        }
    }

    private void send(String line) throws IOException {
        write(line);
        flush(settings.command());
    }

    /** Buffers a command line; commands are small, so only {@link #flush} can block on the network. */
    private void write(String line) throws IOException {
        byte[] b = (line + "\r\n").getBytes(StandardCharsets.UTF_8);
        if (b.length > 8192) {
            writeBytes(b, 0, b.length, settings.command());
            return;
        }
        try {
            out.write(b, 0, b.length);
        } catch (IOException e) {
            close();
            throw new SmtpClientException(RemoteReply.local(451, "4.4.2", "Connection lost while sending: " + e.getMessage()),
                    "write", e);
        }
    }

    private void writeBytes(byte[] b, int off, int len, Duration timeout) throws IOException {
        ScheduledFuture<?> guard = WATCHDOG.schedule(this::close, timeout.toMillis(), TimeUnit.MILLISECONDS);
        try {
            out.write(b, off, len);
        } catch (IOException e) {
            close();
            throw writeFailure(e, guard);
        } finally {
            guard.cancel(false);
        }
    }

    private void flush(Duration timeout) throws IOException {
        ScheduledFuture<?> guard = WATCHDOG.schedule(this::close, timeout.toMillis(), TimeUnit.MILLISECONDS);
        try {
            out.flush();
        } catch (IOException e) {
            close();
            throw writeFailure(e, guard);
        } finally {
            guard.cancel(false);
        }
    }

    private static SmtpClientException writeFailure(IOException e, ScheduledFuture<?> guard) {
        String what = guard.isDone() ? "Timed out sending to the remote" : "Connection lost while sending: " + e.getMessage();
        return new SmtpClientException(RemoteReply.local(451, "4.4.2", what), "write", e);
    }

    private static SmtpClientException asClientException(IOException e) {
        if (e instanceof SmtpClientException s) {
            return s;
        }
        if (e instanceof SocketTimeoutException) {
            return new SmtpClientException(RemoteReply.local(451, "4.4.2", "Timed out waiting for the remote's reply"),
                    "timeout", e);
        }
        return new SmtpClientException(RemoteReply.local(451, "4.4.2", "Connection lost: " + e.getMessage()), "I/O", e);
    }

    private static Map<String, String> parseExtensions(RemoteReply ehlo) {
        Map<String, String> ext = new HashMap<>();
        // The first line is the server's name and greeting, the others one keyword each (RFC 5321 §4.1.1.1).
        for (int i = 1; i < ehlo.lines().size(); i++) {
            String line = ehlo.lines().get(i).trim();
            if (line.isEmpty()) {
                continue;
            }
            int sp = line.indexOf(' ');
            String key = (sp < 0 ? line : line.substring(0, sp)).toUpperCase(Locale.ROOT);
            String param = sp < 0 ? "" : line.substring(sp + 1).trim();
            if (key.startsWith("AUTH=")) {
                // Old servers announce "AUTH=LOGIN PLAIN".
                param = line.substring(5).trim();
                key = "AUTH";
            }
            if (key.equals("AUTH")) {
                ext.merge(key, param, (a, b) -> (a + " " + b).trim());
            } else {
                ext.putIfAbsent(key, param);
            }
        }
        return Map.copyOf(ext);
    }

    private static ScheduledExecutorService watchdog() {
        java.util.concurrent.ScheduledThreadPoolExecutor w = new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "smtp-client-watchdog");
            t.setDaemon(true);
            return t;
        });
        // Most guards are cancelled within microseconds: drop them at once instead of keeping them for minutes.
        w.setRemoveOnCancelPolicy(true);
        return w;
    }

    private static SSLContext trustAll() throws java.security.GeneralSecurityException {
        // Opportunistic TLS (RFC 7435): encryption against passive attackers, no authentication of the peer.
        TrustManager anyCertificate = new X509TrustManager() {
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
        };
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[] {anyCertificate}, new SecureRandom());
        return ctx;
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static int millis(Duration d) {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, d.toMillis()));
    }

    private static String describe(String name, InetSocketAddress a) {
        String ip = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
        String hostPort = (ip.contains(":") ? "[" + ip + "]" : ip) + ":" + a.getPort();
        return name == null || name.equals(ip) ? hostPort : name + " (" + hostPort + ")";
    }

    private static void closeQuietly(Socket s) {
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // Closing is best effort.
            }
        }
    }
}
