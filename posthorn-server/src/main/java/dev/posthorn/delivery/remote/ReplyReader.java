package dev.posthorn.delivery.remote;

import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads SMTP replies (RFC 5321 §4.2) from a server with bulk reads and our own line scanner. Lenient in what it
 * accepts from the remote (a bare LF ends a line too) but bounded: a line of at most 4 KiB, a reply of at most
 * 200 lines, every line of one reply with the same code. LMTP's replies have the same form (RFC 2033 §4.1), so
 * the LMTP client reads them with this class too.
 */
public final class ReplyReader {

    private static final int MAX_LINE = 4096;
    private static final int MAX_LINES = 200;

    private final InputStream in;
    private final byte[] buf = new byte[16384];
    private int pos;
    private int limit;

    public ReplyReader(InputStream in) {
        this.in = in;
    }

    /**
     * Bytes received but not yet consumed: after STARTTLS's 220 there must be none (RFC 3207 §5, injection), and
     * an LMTP connection with some is not reused (they answer nothing we sent).
     */
    public int buffered() {
        return limit - pos;
    }

    public RemoteReply read() throws IOException {
        List<String> texts = new ArrayList<>(2);
        int code = -1;
        while (true) {
            String line = readLine();
            if (line.length() < 3 || !isDigits(line, 3) || (line.length() > 3 && line.charAt(3) != ' ' && line.charAt(3) != '-')) {
                throw new SmtpClientException(RemoteReply.local(451, "4.5.0", "Malformed reply from remote: "
                        + truncate(line)), "protocol error");
            }
            int lineCode = Integer.parseInt(line, 0, 3, 10);
            if (code == -1) {
                code = lineCode;
            } else if (lineCode != code) {
                throw new SmtpClientException(RemoteReply.local(451, "4.5.0", "Inconsistent multi-line reply from remote: "
                        + truncate(line)), "protocol error");
            }
            if (code < 200 || code > 599) {
                throw new SmtpClientException(RemoteReply.local(451, "4.5.0", "Reply code out of range: " + truncate(line)),
                        "protocol error");
            }
            texts.add(line.length() > 4 ? line.substring(4) : "");
            if (line.length() == 3 || line.charAt(3) == ' ') {
                return RemoteReply.of(code, texts);
            }
            if (texts.size() >= MAX_LINES) {
                throw new SmtpClientException(RemoteReply.local(451, "4.5.0", "Reply from remote has too many lines"),
                        "protocol error");
            }
        }
    }

    private String readLine() throws IOException {
        int start = pos;
        int scanFrom = pos;
        while (true) {
            for (int i = scanFrom; i < limit; i++) {
                if (buf[i] == '\n') {
                    int end = i > start && buf[i - 1] == '\r' ? i - 1 : i;
                    String line = new String(buf, start, end - start, StandardCharsets.UTF_8);
                    pos = i + 1;
                    return line;
                }
            }
            if (limit - start >= MAX_LINE) {
                throw new SmtpClientException(RemoteReply.local(451, "4.5.0", "Reply line from remote too long"),
                        "protocol error");
            }
            // Compact, then fill.
            if (start > 0) {
                System.arraycopy(buf, start, buf, 0, limit - start);
                limit -= start;
                start = 0;
            }
            scanFrom = limit;
            pos = 0;
            int n;
            try {
                n = in.read(buf, limit, buf.length - limit);
            } catch (SocketTimeoutException e) {
                throw new SmtpClientException(RemoteReply.local(451, "4.4.2", "Timed out waiting for the remote's reply"),
                        "timeout", e);
            }
            if (n < 0) {
                throw new SmtpClientException(RemoteReply.local(451, "4.4.2", "Connection closed by remote"
                        + (limit > 0 ? " in the middle of a reply" : "")), "connection lost");
            }
            limit += n;
        }
    }

    private static boolean isDigits(String s, int n) {
        for (int i = 0; i < n; i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    private static String truncate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }
}
