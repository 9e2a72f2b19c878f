/*
 * SmtpLoad: the benchmark's own SMTP load generator, for what Postfix's smtp-source cannot do.
 * A single-file program: run it with `java bench/SmtpLoad.java MODE [--key value ...]` (JDK 21+).
 *
 * Modes (every one bounded in messages AND seconds; targets must be loopback):
 *   latency     S sessions on reused connections send transactions, closed loop or at a fixed total
 *               --rate (open loop); reports p50/p99/p99.9/max of MAIL..250-after-DATA.
 *   hold        opens --connections connections, reads the greeting, sends EHLO, and holds them for
 *               --seconds; with --rate > 0 the held connections also send transactions at that total
 *               rate (busy connections at low rate). Prints HELD when all are open, so the caller can
 *               measure the server's memory.
 *   submission  like latency, but each session first does STARTTLS and AUTH PLAIN (RFC 4954), then
 *               sends its transactions; --reuse false opens a connection (and TLS handshake) per message.
 *   fsync       the disk's price of durability in --dir: --ops new 4 KiB files with file and directory
 *               fsync, and --ops 4 KiB appends to one file with fdatasync, one thread each.
 *
 * Output: one line starting with RESULT and key=value pairs, for bench/run.sh to parse.
 */

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

public final class SmtpLoad {

    private final Map<String, String> opts;
    private final String host;
    private final int port;
    private final long deadlineNanos;
    private final byte[] message;
    private final String from;
    private final String to;
    private final AtomicInteger errors = new AtomicInteger();
    private final AtomicLong sent = new AtomicLong();
    private volatile String firstError;

    private SmtpLoad(Map<String, String> opts) {
        this.opts = opts;
        this.host = opt("host", "127.0.0.1");
        this.port = Integer.parseInt(opt("port", "2525"));
        this.deadlineNanos = System.nanoTime() + (long) (Double.parseDouble(opt("seconds", "30")) * 1e9);
        this.from = opt("from", "sender@example.org");
        this.to = opt("to", "postmaster@localhost");
        this.message = messageOfSize(Integer.parseInt(opt("size", "1024")), from, to);
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: java SmtpLoad.java latency|hold|submission [--key value ...]");
            System.exit(2);
        }
        Map<String, String> opts = new HashMap<>();
        for (int i = 1; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --key, got " + args[i]);
            }
            opts.put(args[i].substring(2), args[i + 1]);
        }
        SmtpLoad load = new SmtpLoad(opts);
        InetAddress target = InetAddress.getByName(load.host);
        if (!target.isLoopbackAddress()) {
            System.err.println("SmtpLoad: refusing non-loopback target " + load.host);
            System.exit(2);
        }
        // Hard stop: whatever happens, the process ends 30 s after its deadline.
        Thread.ofPlatform().daemon().start(() -> {
            sleepNanos(load.deadlineNanos - System.nanoTime() + 30_000_000_000L);
            System.err.println("SmtpLoad: hard time limit reached");
            Runtime.getRuntime().halt(3);
        });
        switch (args[0]) {
            case "latency" -> load.latency(false);
            case "submission" -> load.latency(true);
            case "hold" -> load.hold();
            case "fsync" -> load.fsync();
            default -> {
                System.err.println("unknown mode " + args[0]);
                System.exit(2);
            }
        }
        System.exit(0);
    }

    private String opt(String key, String fallback) {
        return opts.getOrDefault(key, fallback);
    }

    // ---------------------------------------------------------------------------------------------
    // latency / submission

    private void latency(boolean submission) throws Exception {
        int sessions = Integer.parseInt(opt("sessions", "20"));
        long messages = Long.parseLong(opt("messages", "10000"));
        double rate = Double.parseDouble(opt("rate", "0"));
        boolean reuse = Boolean.parseBoolean(opt("reuse", "true"));
        String user = opt("user", "bench@localhost");
        String password = opt("password", "bench-password");
        SSLContext tls = submission ? trustAllContext() : null;
        AtomicLong next = new AtomicLong();
        long start = System.nanoTime();
        // Open loop: transaction k is due at start + k/rate, whichever session is free takes it.
        long intervalNanos = rate > 0 ? (long) (1e9 / rate) : 0;
        Recorder recorder = new Recorder();
        List<Thread> threads = new ArrayList<>();
        for (int s = 0; s < sessions; s++) {
            threads.add(Thread.ofVirtual().start(() -> {
                Conn conn = null;
                try {
                    while (System.nanoTime() < deadlineNanos) {
                        long k = next.getAndIncrement();
                        if (k >= messages) {
                            break;
                        }
                        if (intervalNanos > 0) {
                            sleepNanos(start + k * intervalNanos - System.nanoTime());
                        }
                        if (conn == null) {
                            conn = submission ? Conn.submission(host, port, tls, user, password)
                                    : Conn.plain(host, port);
                        }
                        long t0 = System.nanoTime();
                        conn.transaction(from, to, message);
                        recorder.add(System.nanoTime() - t0);
                        sent.incrementAndGet();
                        if (!reuse) {
                            conn.quit();
                            conn = null;
                        }
                    }
                    if (conn != null) {
                        conn.quit();
                    }
                } catch (IOException | RuntimeException e) {
                    error(e);
                    if (conn != null) {
                        conn.closeQuietly();
                    }
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.println("RESULT mode=" + (submission ? "submission" : "latency") + " sessions=" + sessions
                + " msgs=" + sent.get() + " secs=" + fmt(seconds) + " rate=" + fmt(sent.get() / seconds)
                + " target_rate=" + fmt(rate) + recorder.summary() + " errors=" + errors.get()
                + (firstError == null ? "" : " first_error=\"" + firstError + "\""));
    }

    // ---------------------------------------------------------------------------------------------
    // hold

    private void hold() throws Exception {
        int connections = Integer.parseInt(opt("connections", "10000"));
        double rate = Double.parseDouble(opt("rate", "0"));
        double holdSeconds = Double.parseDouble(opt("hold", "10"));
        long messages = Long.parseLong(opt("messages", "100000"));
        Semaphore connecting = new Semaphore(Integer.parseInt(opt("parallel-connects", "200")));
        CountDownLatch opened = new CountDownLatch(connections);
        AtomicInteger open = new AtomicInteger();
        Recorder recorder = new Recorder();
        Conn[] conns = new Conn[connections];
        // Spread source addresses over 127.0.0.0/8 so ephemeral ports are never scarce.
        List<Thread> threads = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < connections; i++) {
            int index = i;
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    connecting.acquireUninterruptibly();
                    try {
                        InetAddress source = InetAddress.getByAddress(
                                new byte[] {127, 0, (byte) (1 + index / 250 % 250), (byte) (1 + index % 250)});
                        conns[index] = Conn.plain(host, port, source);
                        open.incrementAndGet();
                    } finally {
                        connecting.release();
                        opened.countDown();
                    }
                } catch (IOException | RuntimeException e) {
                    error(e);
                }
            }));
        }
        opened.await();
        double openSeconds = (System.nanoTime() - t0) / 1e9;
        System.out.println("HELD connections=" + open.get() + " open_secs=" + fmt(openSeconds) + " errors="
                + errors.get() + (firstError == null ? "" : " first_error=\"" + firstError + "\""));
        System.out.flush();
        long holdEnd = Math.min(deadlineNanos, System.nanoTime() + (long) (holdSeconds * 1e9));
        long busyStart = System.nanoTime();
        if (rate > 0 && open.get() > 0) {
            // Busy phase: each connection sends one transaction every connections/rate seconds, phases spread.
            double periodNanos = connections / rate * 1e9;
            AtomicLong budget = new AtomicLong(messages);
            threads.clear();
            for (int i = 0; i < connections; i++) {
                Conn conn = conns[i];
                if (conn == null) {
                    continue;
                }
                long offset = (long) (periodNanos * i / connections);
                threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        for (long k = 0; ; k++) {
                            long due = busyStart + offset + (long) (k * periodNanos);
                            if (due >= holdEnd || budget.decrementAndGet() < 0) {
                                break;
                            }
                            sleepNanos(due - System.nanoTime());
                            long start = System.nanoTime();
                            conn.transaction(from, to, message);
                            recorder.add(System.nanoTime() - start);
                            sent.incrementAndGet();
                        }
                    } catch (IOException | RuntimeException e) {
                        error(e);
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
        }
        sleepNanos(holdEnd - System.nanoTime());
        int alive = 0;
        for (Conn conn : conns) {
            if (conn != null) {
                if (conn.alive()) {
                    alive++;
                }
                conn.closeQuietly();
            }
        }
        double busySeconds = (System.nanoTime() - busyStart) / 1e9;
        System.out.println("RESULT mode=hold connections=" + open.get() + " alive_at_end=" + alive + " msgs="
                + sent.get() + " busy_secs=" + fmt(busySeconds) + " rate=" + fmt(sent.get() / busySeconds)
                + recorder.summary() + " errors=" + errors.get()
                + (firstError == null ? "" : " first_error=\"" + firstError + "\""));
    }

    private void fsync() throws IOException {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory(
                java.nio.file.Path.of(opt("dir", "/tmp")), "fsync-rate.");
        int ops = Integer.parseInt(opt("ops", "2000"));
        java.nio.ByteBuffer block = java.nio.ByteBuffer.allocate(4096);
        try (java.nio.channels.FileChannel d = java.nio.channels.FileChannel.open(dir,
                java.nio.file.StandardOpenOption.READ)) {
            long t0 = System.nanoTime();
            int n = 0;
            for (; n < ops && System.nanoTime() < deadlineNanos; n++) {
                try (java.nio.channels.FileChannel f = java.nio.channels.FileChannel.open(dir.resolve("f" + n),
                        java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
                    f.write(block.clear());
                    f.force(true);
                }
                d.force(true);
            }
            double newFile = n / ((System.nanoTime() - t0) / 1e9);
            java.nio.file.Path journal = dir.resolve("journal");
            long t1 = System.nanoTime();
            int m = 0;
            try (java.nio.channels.FileChannel f = java.nio.channels.FileChannel.open(journal,
                    java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
                for (; m < ops && System.nanoTime() < deadlineNanos; m++) {
                    f.write(block.clear());
                    f.force(false);
                }
            }
            double append = m / ((System.nanoTime() - t1) / 1e9);
            System.out.println("RESULT mode=fsync new_file_per_s=" + fmt(newFile) + " append_fdatasync_per_s="
                    + fmt(append) + " ops=" + n + "/" + m);
        } finally {
            try (var files = java.nio.file.Files.list(dir)) {
                for (java.nio.file.Path f : files.toList()) {
                    java.nio.file.Files.delete(f);
                }
            }
            java.nio.file.Files.delete(dir);
        }
    }

    private void error(Exception e) {
        if (errors.getAndIncrement() == 0) {
            firstError = e.toString().replace('"', '\'');
        }
    }

    // ---------------------------------------------------------------------------------------------
    // one connection

    /** A client connection with a small reply reader; no per-line allocation beyond the reply string. */
    static final class Conn {
        private Socket socket;
        private InputStream in;
        private OutputStream out;
        private final byte[] buf = new byte[4096];
        private int pos;
        private int limit;
        private boolean pipelining;

        static Conn plain(String host, int port) throws IOException {
            return plain(host, port, null);
        }

        static Conn plain(String host, int port, InetAddress source) throws IOException {
            Conn c = new Conn();
            c.socket = new Socket();
            if (source != null) {
                c.socket.bind(new InetSocketAddress(source, 0));
            }
            c.socket.setTcpNoDelay(true);
            c.socket.connect(new InetSocketAddress(host, port), 30_000);
            c.socket.setSoTimeout(60_000);
            c.streams();
            c.expect(220);
            c.ehlo();
            return c;
        }

        static Conn submission(String host, int port, SSLContext tls, String user, String password)
                throws IOException {
            Conn c = plain(host, port);
            c.command("STARTTLS", 220);
            SSLSocket ssl = (SSLSocket) tls.getSocketFactory().createSocket(c.socket, host, port, true);
            ssl.setUseClientMode(true);
            ssl.startHandshake();
            c.socket = ssl;
            c.streams();
            c.ehlo();
            String token = Base64.getEncoder().encodeToString(
                    ("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8));
            c.command("AUTH PLAIN " + token, 235);
            return c;
        }

        private void streams() throws IOException {
            in = socket.getInputStream();
            out = socket.getOutputStream();
            pos = limit = 0;
        }

        private void ehlo() throws IOException {
            String reply = command("EHLO load.bench.localhost", 250);
            pipelining = reply.contains("PIPELINING");
        }

        /** MAIL, RCPT, DATA (pipelined when offered: DATA ends the group), then content and the dot. */
        void transaction(String from, String to, byte[] content) throws IOException {
            String mail = "MAIL FROM:<" + from + ">\r\n";
            String rcpt = "RCPT TO:<" + to + ">\r\n";
            if (pipelining) {
                write(mail + rcpt + "DATA\r\n");
                expect(250);
                expect(250);
                expect(354);
            } else {
                command(mail.trim(), 250);
                command(rcpt.trim(), 250);
                command("DATA", 354);
            }
            out.write(content);
            out.flush();
            expect(250);
        }

        void quit() throws IOException {
            try {
                command("QUIT", 221);
            } finally {
                closeQuietly();
            }
        }

        boolean alive() {
            try {
                command("NOOP", 250);
                return true;
            } catch (IOException | RuntimeException e) {
                return false;
            }
        }

        void closeQuietly() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // gone already
            }
        }

        private String command(String line, int code) throws IOException {
            write(line + "\r\n");
            return expect(code);
        }

        private void write(String s) throws IOException {
            out.write(s.getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }

        /** Reads one (possibly multi-line) reply and checks its code. */
        private String expect(int code) throws IOException {
            StringBuilder reply = new StringBuilder();
            while (true) {
                String line = readLine();
                reply.append(line).append('\n');
                if (line.length() < 4 || line.charAt(3) != '-') {
                    int got = line.length() >= 3 ? Integer.parseInt(line.substring(0, 3)) : -1;
                    if (got != code) {
                        throw new IOException("expected " + code + ", got: " + reply.toString().trim());
                    }
                    return reply.toString();
                }
            }
        }

        private String readLine() throws IOException {
            StringBuilder line = new StringBuilder(64);
            while (true) {
                if (pos == limit) {
                    limit = in.read(buf, 0, buf.length);
                    pos = 0;
                    if (limit <= 0) {
                        limit = 0;
                        throw new IOException("connection closed by server");
                    }
                }
                byte b = buf[pos++];
                if (b == '\n') {
                    int n = line.length();
                    if (n > 0 && line.charAt(n - 1) == '\r') {
                        line.setLength(n - 1);
                    }
                    return line.toString();
                }
                line.append((char) (b & 0xFF));
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // helpers

    /** Latencies in nanoseconds, from any number of threads. */
    static final class Recorder {
        private long[] values = new long[1 << 16];
        private int count;

        synchronized void add(long nanos) {
            if (count == values.length) {
                values = Arrays.copyOf(values, count * 2);
            }
            values[count++] = nanos;
        }

        synchronized String summary() {
            if (count == 0) {
                return " p50_ms=n/a p99_ms=n/a p999_ms=n/a max_ms=n/a";
            }
            long[] sorted = Arrays.copyOf(values, count);
            Arrays.sort(sorted);
            return " p50_ms=" + ms(pct(sorted, 0.50)) + " p99_ms=" + ms(pct(sorted, 0.99)) + " p999_ms="
                    + ms(pct(sorted, 0.999)) + " max_ms=" + ms(sorted[count - 1]);
        }

        private static long pct(long[] sorted, double p) {
            int index = (int) Math.ceil(p * sorted.length) - 1;
            return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
        }

        private static String ms(long nanos) {
            return String.format(Locale.ROOT, "%.3f", nanos / 1e6);
        }
    }

    /** Headers plus 78-character lines up to {@code size} octets, then the terminating dot line. */
    static byte[] messageOfSize(int size, String from, String to) {
        StringBuilder m = new StringBuilder(size + 64);
        // Submission checks that the From: field is the authenticated user's (RFC 6409 §6.1).
        m.append("From: <").append(from).append(">\r\nTo: <").append(to).append(">\r\nSubject: bench\r\n")
                .append("Message-ID: <bench@load.bench.localhost>\r\n\r\n");
        String line = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-abcdefghijklmno\r\n";
        while (m.length() + line.length() <= size) {
            m.append(line);
        }
        while (m.length() < size - 2) {
            m.append('x');
        }
        m.append("\r\n.\r\n");
        return m.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private static SSLContext trustAllContext() throws Exception {
        // The server under test has a self-signed certificate on loopback; the benchmark measures, not verifies.
        TrustManager trustAll = new X509TrustManager() {
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
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {trustAll}, new SecureRandom());
        return context;
    }

    static void sleepNanos(long nanos) {
        if (nanos <= 0) {
            return;
        }
        try {
            Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }
}
