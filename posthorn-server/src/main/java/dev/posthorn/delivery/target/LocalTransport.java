package dev.posthorn.delivery.target;

import dev.posthorn.delivery.lmtp.LmtpEndpoint;
import java.util.Locale;

/**
 * How mail for a hosted mailbox is stored: written here as a Maildir, or handed to an LMTP server. Parsed from
 * {@code delivery.local} and {@code delivery.domains} ({@code "maildir"}, {@code "lmtp:unix:/run/dovecot/lmtp"},
 * {@code "lmtp:127.0.0.1:24"}, {@code "lmtp:[::1]:24"}).
 */
public sealed interface LocalTransport {

    record Maildir() implements LocalTransport {
    }

    record Lmtp(LmtpEndpoint endpoint) implements LocalTransport {
    }

    /** @throws IllegalArgumentException naming {@code key} and what to write instead */
    static LocalTransport parse(String value, String key) {
        String v = value == null ? "" : value.trim();
        if (v.equalsIgnoreCase("maildir")) {
            return new Maildir();
        }
        if (!v.toLowerCase(Locale.ROOT).startsWith("lmtp:")) {
            throw new IllegalArgumentException(key + " = \"" + value + "\": use \"maildir\", \"lmtp:unix:/path/to/socket\" or "
                    + "\"lmtp:host:port\"");
        }
        String rest = v.substring("lmtp:".length());
        if (rest.startsWith("unix:")) {
            String path = rest.substring("unix:".length());
            if (!path.startsWith("/")) {
                throw new IllegalArgumentException(key + " = \"" + value + "\": the socket path must be absolute, e.g. "
                        + "\"lmtp:unix:/run/dovecot/lmtp\"");
            }
            return new Lmtp(new LmtpEndpoint.Unix(java.nio.file.Path.of(path)));
        }
        String host;
        String port;
        if (rest.startsWith("[")) {
            int close = rest.indexOf(']');
            if (close < 0 || close + 1 >= rest.length() || rest.charAt(close + 1) != ':') {
                throw new IllegalArgumentException(key + " = \"" + value + "\": write an IPv6 address as \"lmtp:[::1]:24\"");
            }
            host = rest.substring(1, close);
            port = rest.substring(close + 2);
        } else {
            int colon = rest.lastIndexOf(':');
            if (colon <= 0 || rest.indexOf(':') != colon) {
                throw new IllegalArgumentException(key + " = \"" + value + "\": give host and port, e.g. \"lmtp:127.0.0.1:24\"");
            }
            host = rest.substring(0, colon);
            port = rest.substring(colon + 1);
        }
        int number;
        try {
            number = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            number = -1;
        }
        if (host.isEmpty() || number < 1 || number > 65535) {
            throw new IllegalArgumentException(key + " = \"" + value + "\": bad host or port (1-65535)");
        }
        return new Lmtp(new LmtpEndpoint.Tcp(host, number));
    }
}
