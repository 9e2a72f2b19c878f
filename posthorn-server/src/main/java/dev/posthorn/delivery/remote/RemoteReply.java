package dev.posthorn.delivery.remote;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A reply exactly as a remote server sent it: the basic code, the enhanced status code when the text starts
 * with one (RFC 2034 / RFC 3463), and every line's text after "NNN-" or "NNN " (enhanced code included), so
 * bounces and {@code posthorn queue show} can quote the remote's real answer word for word.
 */
public record RemoteReply(int code, String enhanced, List<String> lines) {

    private static final Pattern ENHANCED = Pattern.compile("^([245])\\.(\\d{1,3})\\.(\\d{1,3})(?:\\s|$)");

    public RemoteReply {
        lines = List.copyOf(lines);
        if (lines.isEmpty()) {
            throw new IllegalArgumentException("a reply has at least one line");
        }
    }

    /** Builds a reply from the wire lines' texts, detecting the enhanced code whose class matches the basic code. */
    public static RemoteReply of(int code, List<String> texts) {
        String enhanced = null;
        Matcher m = ENHANCED.matcher(texts.get(0));
        if (m.find() && m.group(1).charAt(0) - '0' == code / 100) {
            enhanced = m.group(1) + "." + m.group(2) + "." + m.group(3);
        }
        return new RemoteReply(code, enhanced, texts);
    }

    /** A reply we synthesise for a failure that had no remote reply (timeout, refused connection, policy). */
    public static RemoteReply local(int code, String enhanced, String text) {
        return new RemoteReply(code, enhanced, List.of(enhanced == null ? text : enhanced + " " + text));
    }

    /** A reply from the catalogue ({@code ReplyName.X.reply(...)}) as if a server had sent it. */
    public static RemoteReply of(dev.posthorn.codes.Reply reply) {
        return local(reply.code(), reply.enhanced(), reply.lines().get(0));
    }

    public boolean positive() {
        return code >= 200 && code < 400;
    }

    public boolean transientFailure() {
        return code >= 400 && code < 500;
    }

    public boolean permanentFailure() {
        return code >= 500;
    }

    /** The reply as sent, one line per wire line: "550-5.1.1 ...\n550 5.1.1 ...". */
    public String wire() {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            if (i > 0) {
                out.append('\n');
            }
            out.append(code).append(i == lines.size() - 1 ? ' ' : '-').append(lines.get(i));
        }
        return out.toString();
    }

    /** The reply on one line, for lists and logs: lines joined with a space. */
    public String oneLine() {
        return code + " " + String.join(" ", lines);
    }

    @Override
    public String toString() {
        return oneLine();
    }
}
