package dev.posthorn.delivery.dsn;

import dev.posthorn.delivery.ReplyExplainer;
import dev.posthorn.delivery.remote.RemoteReply;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;

/**
 * Builds delivery status notifications (RFC 3464): a {@code multipart/report; report-type=delivery-status}
 * (RFC 6522) with a human part that quotes each remote server's exact reply and explains it, the machine-readable
 * {@code message/delivery-status} part, and the original message ({@code RET=FULL}) or its header section
 * ({@code RET=HDRS}, {@code text/rfc822-headers}).
 */
public final class DsnBuilder {

    /** Failure DSNs include the whole message unless it is bigger than this; then only its headers. */
    static final long MAX_RETURNED_BYTES = 10L * 1024 * 1024;
    /** RFC 5322 §3.3 date-time with a numeric zone (never the obsolete "GMT"). */
    public static final DateTimeFormatter RFC5322 = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ENGLISH);

    /** RFC 3464 §2.3.3 actions we report: failed, delayed, and relayed (to a server without DSN). */
    public enum Kind { FAILED, DELAYED, RELAYED }

    /**
     * One recipient's line in the report.
     *
     * @param originalRecipient the ORCPT parameter as given ("rfc822;a+2Bb@x", xtext), or null
     * @param remoteMta         the remote host that gave {@code reply}, or null when the failure was ours (DNS, policy)
     * @param willRetryUntil    for "delayed": when Posthorn gives up
     */
    public record RecipientReport(String finalRecipient, String originalRecipient, String remoteMta, RemoteReply reply,
                                  Instant lastAttempt, Instant willRetryUntil) {
    }

    /**
     * @param sender   the original reverse-path: the DSN's recipient
     * @param ret      "FULL", "HDRS" or null (then FULL for failures, HDRS for delay notices)
     * @param original the queued message file
     */
    public record Request(Kind kind, String reportingMta, String sender, String envid, Instant arrival,
                          List<RecipientReport> recipients, String ret, Path original) {
        public Request {
            recipients = List.copyOf(recipients);
            Objects.requireNonNull(kind);
        }
    }

    /** The DSN's bytes and whether they contain 8-bit data (then it goes out with BODY=8BITMIME). */
    public record Built(byte[] bytes, boolean eightBit) {
    }

    private final ReplyExplainer explainer;
    private final ZoneId zone;

    public DsnBuilder(ReplyExplainer explainer, ZoneId zone) {
        this.explainer = explainer;
        this.zone = zone;
    }

    public Built build(Request request, Instant now) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
        try {
            boolean eightBit = write(request, now, out);
            return new Built(out.toByteArray(), eightBit);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private boolean write(Request r, Instant now, OutputStream out) throws IOException {
        String boundary = "posthorn-dsn-" + UUID.randomUUID();
        String human = humanText(r);
        boolean fullMessage = returnsFullMessage(r);
        byte[] originalPart = fullMessage ? Files.readAllBytes(r.original()) : headerSection(r.original());
        boolean eightBit = !isAscii(human.getBytes(StandardCharsets.UTF_8)) || !isAscii(originalPart);

        StringBuilder h = new StringBuilder(1024);
        h.append("From: Mail Delivery System <MAILER-DAEMON@").append(r.reportingMta()).append(">\r\n");
        h.append("To: <").append(r.sender()).append(">\r\n");
        h.append("Subject: ").append(switch (r.kind()) {
            case FAILED -> "Undelivered Mail Returned to Sender";
            case DELAYED -> "Delayed Mail (still being retried)";
            case RELAYED -> "Successful Mail Delivery Report";
        }).append("\r\n");
        h.append("Date: ").append(date(now)).append("\r\n");
        h.append("Message-ID: <").append(UUID.randomUUID()).append("@").append(r.reportingMta()).append(">\r\n");
        // RFC 3834 §5: a notification is an automatic reply; it must not trigger auto-responders.
        h.append("Auto-Submitted: auto-replied\r\n");
        h.append("MIME-Version: 1.0\r\n");
        h.append("Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"").append(boundary).append("\"\r\n");
        h.append("\r\n");
        h.append("This is a MIME-encapsulated message.\r\n\r\n");

        h.append("--").append(boundary).append("\r\n");
        h.append("Content-Description: Notification\r\n");
        h.append("Content-Type: text/plain; charset=utf-8\r\n");
        h.append("Content-Transfer-Encoding: ").append(isAscii(human.getBytes(StandardCharsets.UTF_8)) ? "7bit" : "8bit").append("\r\n\r\n");
        h.append(human).append("\r\n");

        h.append("--").append(boundary).append("\r\n");
        h.append("Content-Description: Delivery report\r\n");
        h.append("Content-Type: message/delivery-status\r\n\r\n");
        h.append(deliveryStatus(r, now));
        h.append("\r\n");

        h.append("--").append(boundary).append("\r\n");
        h.append("Content-Description: ").append(fullMessage ? "Undelivered Message" : "Undelivered Message Headers").append("\r\n");
        h.append("Content-Type: ").append(fullMessage ? "message/rfc822" : "text/rfc822-headers").append("\r\n");
        h.append("Content-Transfer-Encoding: ").append(isAscii(originalPart) ? "7bit" : "8bit").append("\r\n\r\n");
        out.write(h.toString().getBytes(StandardCharsets.UTF_8));
        out.write(originalPart);
        if (originalPart.length > 0 && originalPart[originalPart.length - 1] != '\n') {
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        return eightBit;
    }

    private boolean returnsFullMessage(Request r) throws IOException {
        if ("HDRS".equalsIgnoreCase(r.ret())) {
            return false;
        }
        if (r.ret() == null && r.kind() != Kind.FAILED) {
            return false;
        }
        return Files.size(r.original()) <= MAX_RETURNED_BYTES;
    }

    String humanText(Request r) {
        StringBuilder t = new StringBuilder(1024);
        t.append("This is the mail system at ").append(r.reportingMta()).append(".\r\n\r\n");
        if (r.kind() == Kind.FAILED) {
            t.append("Your message could not be delivered to the recipients below. This is a permanent failure:\r\n")
                    .append("the message was not delivered and will not be retried.\r\n");
        } else if (r.kind() == Kind.RELAYED) {
            t.append("Your message was handed over to the servers of the recipients below, as you asked to be told.\r\n")
                    .append("Those servers do not send delivery notices, so this is the last news of it.\r\n");
        } else {
            t.append("Your message has not been delivered yet to the recipients below. This is only a warning:\r\n")
                    .append("there is nothing you need to do, delivery will keep being retried.\r\n");
        }
        for (RecipientReport rcpt : r.recipients()) {
            t.append("\r\n<").append(rcpt.finalRecipient()).append(">:\r\n");
            RemoteReply reply = rcpt.reply();
            if (rcpt.remoteMta() != null) {
                t.append("    The server ").append(rcpt.remoteMta()).append(" answered:\r\n");
            } else {
                t.append("    Posthorn could not deliver it:\r\n");
            }
            for (String line : reply.wire().split("\n")) {
                t.append("        ").append(line).append("\r\n");
            }
            t.append("    What this means: ").append(explainer.explain(reply, Locale.ENGLISH))
                    .append("\r\n");
            if (r.kind() == Kind.DELAYED && rcpt.willRetryUntil() != null) {
                t.append("    Posthorn will keep trying until ").append(date(rcpt.willRetryUntil())).append(".\r\n");
            }
            if (r.kind() == Kind.FAILED && reply.transientFailure() && r.arrival() != null) {
                // A temporary failure that lasted too long (RFC 5321 §4.5.4.1): say so, or the 4xx reads as odd.
                t.append("    Each attempt failed temporarily; Posthorn kept retrying since ")
                        .append(date(r.arrival())).append(" and has now given up.\r\n");
            }
        }
        return t.toString();
    }

    private String deliveryStatus(Request r, Instant now) {
        StringBuilder s = new StringBuilder(512);
        // RFC 3464 §2.2: per-message fields.
        s.append("Reporting-MTA: dns; ").append(r.reportingMta()).append("\r\n");
        if (r.envid() != null) {
            s.append("Original-Envelope-Id: ").append(r.envid()).append("\r\n");
        }
        if (r.arrival() != null) {
            s.append("Arrival-Date: ").append(date(r.arrival())).append("\r\n");
        }
        // RFC 3464 §2.3: per-recipient fields, each group after a blank line.
        for (RecipientReport rcpt : r.recipients()) {
            s.append("\r\n");
            s.append("Final-Recipient: rfc822; ").append(rcpt.finalRecipient()).append("\r\n");
            if (rcpt.originalRecipient() != null) {
                s.append("Original-Recipient: ").append(originalRecipient(rcpt.originalRecipient())).append("\r\n");
            }
            s.append("Action: ").append(r.kind().name().toLowerCase(Locale.ROOT)).append("\r\n");
            s.append("Status: ").append(status(rcpt.reply())).append("\r\n");
            if (rcpt.remoteMta() != null) {
                s.append("Remote-MTA: dns; ").append(rcpt.remoteMta()).append("\r\n");
            }
            String diagnosticType = rcpt.remoteMta() != null ? "smtp" : "x-posthorn";
            s.append(fold("Diagnostic-Code: " + diagnosticType + "; " + rcpt.reply().oneLine())).append("\r\n");
            if (rcpt.lastAttempt() != null) {
                s.append("Last-Attempt-Date: ").append(date(rcpt.lastAttempt())).append("\r\n");
            }
            if (r.kind() == Kind.DELAYED && rcpt.willRetryUntil() != null) {
                s.append("Will-Retry-Until: ").append(date(rcpt.willRetryUntil())).append("\r\n");
            }
        }
        return s.toString();
    }

    /** RFC 3464 §2.3.4: the status is the enhanced code, or one derived from the basic code's class. */
    static String status(RemoteReply reply) {
        if (reply.enhanced() != null) {
            return reply.enhanced();
        }
        return reply.code() >= 500 ? "5.0.0" : reply.code() >= 400 ? "4.0.0" : "2.0.0";
    }

    /** "rfc822;a+2Bb@x" (xtext, RFC 3461 §4.2) becomes "rfc822; a+b@x". */
    static String originalRecipient(String orcpt) {
        int semi = orcpt.indexOf(';');
        if (semi < 0) {
            return "rfc822; " + decodeXtext(orcpt);
        }
        return orcpt.substring(0, semi).trim() + "; " + decodeXtext(orcpt.substring(semi + 1).trim());
    }

    static String decodeXtext(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '+' && i + 2 < s.length()) {
                try {
                    out.append((char) Integer.parseInt(s.substring(i + 1, i + 3), 16));
                    i += 2;
                    continue;
                } catch (NumberFormatException ignored) {
                    // Not an escape: keep the plus sign.
                }
            }
            out.append(c);
        }
        return out.toString();
    }

    /** Folds a header line at spaces so that no line exceeds 78 characters where possible (RFC 5322 §2.1.1). */
    static String fold(String line) {
        if (line.length() <= 78) {
            return line;
        }
        StringBuilder out = new StringBuilder(line.length() + 16);
        int lineStart = 0;
        int lastSpace = -1;
        for (int i = 0; i < line.length(); i++) {
            if (line.charAt(i) == ' ' && i > lineStart) {
                lastSpace = i;
            }
            if (i - lineStart >= 78 && lastSpace > lineStart) {
                out.append(line, lineStart, lastSpace).append("\r\n");
                lineStart = lastSpace; // the space starts the continuation line
                lastSpace = -1;
            }
        }
        out.append(line, lineStart, line.length());
        return out.toString();
    }

    private static byte[] headerSection(Path message) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
        try (InputStream in = Files.newInputStream(message)) {
            byte[] buf = new byte[8192];
            int prev1 = -1;
            int prev2 = -1;
            int n;
            while ((n = in.read(buf)) > 0) {
                for (int i = 0; i < n; i++) {
                    byte b = buf[i];
                    out.write(b);
                    // The header section ends at the first empty line (CRLF CRLF, or LF LF).
                    if (b == '\n' && (prev1 == '\n' || (prev1 == '\r' && prev2 == '\n'))) {
                        return out.toByteArray();
                    }
                    prev2 = prev1;
                    prev1 = b;
                }
                if (out.size() > MAX_RETURNED_BYTES) {
                    break;
                }
            }
        }
        return out.toByteArray();
    }

    private static boolean isAscii(byte[] b) {
        for (byte x : b) {
            if (x < 0) {
                return false;
            }
        }
        return true;
    }

    private String date(Instant i) {
        return RFC5322.format(ZonedDateTime.ofInstant(i, zone));
    }
}
