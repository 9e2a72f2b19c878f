package dev.posthorn.probe;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLSocket;

/**
 * The wire under the probe: a socket, replaced by its TLS layer after STARTTLS, that sends command lines and
 * reads whole replies (every "NNN-" line up to the "NNN " one). Every read waits at most the reply time-out.
 */
final class SmtpConnection implements Closeable {

    /** RFC 5321 §4.5.3.1.5 allows 512 octets per reply line; be generous, but not endless. */
    private static final int MAX_LINE = 8192;
    /** A reply of more lines than this is not a server talking SMTP. */
    private static final int MAX_LINES = 1000;

    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private long timeoutNanos;
    private long deadline;

    SmtpConnection(Socket socket, Duration replyTimeout) throws IOException {
        use(socket, replyTimeout);
    }

    /** After STARTTLS or for implicit TLS: all further traffic goes through {@code tls}. */
    void upgrade(SSLSocket tls, Duration replyTimeout) throws IOException {
        use(tls, replyTimeout);
    }

    private void use(Socket s, Duration replyTimeout) throws IOException {
        this.socket = s;
        this.timeoutNanos = replyTimeout.toNanos();
        s.setSoTimeout(Math.toIntExact(Math.max(1, replyTimeout.toMillis())));
        this.in = new BufferedInputStream(s.getInputStream());
        this.out = s.getOutputStream();
    }

    Socket socket() {
        return socket;
    }

    void send(String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /**
     * Reads one reply. Throws {@link java.net.SocketTimeoutException} when the server is silent too long,
     * {@link EOFException} when it closes the connection, {@link NotSmtpException} when a line is no reply.
     */
    SmtpReply readReply() throws IOException {
        // The time-out covers the whole reply: a server that trickles a byte now and then does not stretch it.
        deadline = System.nanoTime() + timeoutNanos;
        List<String> lines = new ArrayList<>();
        int code = -1;
        while (true) {
            String line = readLine();
            if (line.length() < 3 || !line.substring(0, 3).matches("[1-5]\\d\\d")
                    || (line.length() > 3 && line.charAt(3) != ' ' && line.charAt(3) != '-')) {
                throw new NotSmtpException(line);
            }
            int lineCode = Integer.parseInt(line.substring(0, 3));
            if (code >= 0 && lineCode != code) {
                throw new NotSmtpException(line);
            }
            code = lineCode;
            lines.add(line);
            if (line.length() == 3 || line.charAt(3) == ' ') {
                if (code < 200) {
                    throw new NotSmtpException(line);
                }
                return SmtpReply.of(code, lines);
            }
            if (lines.size() >= MAX_LINES) {
                throw new NotSmtpException(line);
            }
        }
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        while (true) {
            int b = readByte();
            if (b < 0) {
                if (line.size() == 0) {
                    throw new EOFException("connection closed by the server");
                }
                throw new NotSmtpException(line.toString(StandardCharsets.UTF_8) + " (connection closed mid-line)");
            }
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int end = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, end, StandardCharsets.UTF_8);
            }
            line.write(b);
            if (line.size() > MAX_LINE) {
                throw new NotSmtpException(printable(line.toByteArray()));
            }
        }
    }

    private int readByte() throws IOException {
        if (in.available() == 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new SocketTimeoutException("reply not complete in time");
            }
            socket.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, left / 1_000_000)));
        }
        return in.read();
    }

    private static String printable(byte[] bytes) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < Math.min(bytes.length, 60); i++) {
            int b = bytes[i] & 0xff;
            s.append(b >= 0x20 && b < 0x7f ? String.valueOf((char) b) : String.format("\\x%02x", b));
        }
        return s + (bytes.length > 60 ? "…" : "");
    }

    @Override
    public void close() {
        try {
            // A TLS close waits for the peer's close_notify, bounded by the read time-out: keep that short.
            socket.setSoTimeout(1000);
        } catch (IOException e) {
            // Already broken: close() below still releases it.
        }
        try {
            socket.close();
        } catch (IOException e) {
            // Closing after a failure: nothing more to learn.
        }
    }

    /** The server sent a line that is not part of an SMTP reply. */
    static final class NotSmtpException extends IOException {
        private final String line;

        NotSmtpException(String line) {
            super("not an SMTP reply: " + line);
            this.line = line;
        }

        String line() {
            return line;
        }
    }
}
