package dev.posthorn.delivery.lmtp;

import java.nio.file.Path;

/**
 * Where an LMTP server listens, in the configuration's words: {@code lmtp:unix:/run/dovecot/lmtp} for a Unix
 * domain socket, {@code lmtp:HOST:PORT} for TCP ({@code lmtp:[::1]:24} for an IPv6 address). LMTP has no
 * well-known port (RFC 2033 §5 forbids port 25 and names none), so a TCP endpoint always says its port.
 */
public sealed interface LmtpEndpoint {

    /** The scheme every endpoint starts with. */
    String PREFIX = "lmtp:";

    /** An LMTP server on TCP. {@code host} is a name or an address, an IPv6 address without brackets. */
    record Tcp(String host, int port) implements LmtpEndpoint {
        public Tcp {
            if (host == null || host.isBlank()) {
                throw new IllegalArgumentException("an LMTP endpoint needs a host");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("LMTP port " + port + " is out of range (1 to 65535)");
            }
        }

        @Override
        public String toString() {
            return PREFIX + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }

    /** An LMTP server on a Unix domain socket, such as Dovecot's {@code /run/dovecot/lmtp}. */
    record Unix(Path path) implements LmtpEndpoint {
        public Unix {
            if (path == null || !path.isAbsolute()) {
                throw new IllegalArgumentException("an LMTP socket path must be absolute: " + path);
            }
        }

        @Override
        public String toString() {
            return PREFIX + "unix:" + path;
        }
    }

    /**
     * Parses {@code lmtp:unix:/path} or {@code lmtp:HOST:PORT}. A bad form throws an {@link IllegalArgumentException}
     * whose message quotes the value and says what the right form is, for the configuration's validator.
     */
    static LmtpEndpoint parse(String value) {
        if (value == null || !value.startsWith(PREFIX)) {
            throw bad(value, "it must be lmtp:unix:/path for a Unix socket or lmtp:HOST:PORT for TCP");
        }
        String rest = value.substring(PREFIX.length());
        if (rest.startsWith("unix:")) {
            String path = rest.substring("unix:".length());
            if (path.isEmpty() || !path.startsWith("/")) {
                throw bad(value, "a Unix socket needs an absolute path, as in lmtp:unix:/run/dovecot/lmtp");
            }
            return new Unix(Path.of(path));
        }
        String host;
        String port;
        if (rest.startsWith("[")) {
            int close = rest.indexOf(']');
            if (close < 0 || close + 1 >= rest.length() || rest.charAt(close + 1) != ':') {
                throw bad(value, "an IPv6 address goes in brackets followed by the port, as in lmtp:[::1]:24");
            }
            host = rest.substring(1, close);
            port = rest.substring(close + 2);
        } else {
            int colon = rest.lastIndexOf(':');
            if (colon < 0) {
                throw bad(value, "it needs a port (LMTP has no default one), as in lmtp:127.0.0.1:24");
            }
            host = rest.substring(0, colon);
            port = rest.substring(colon + 1);
            if (host.contains(":")) {
                throw bad(value, "an IPv6 address goes in brackets, as in lmtp:[::1]:24");
            }
        }
        if (host.isEmpty()) {
            throw bad(value, "it needs a host before the port, as in lmtp:127.0.0.1:24");
        }
        if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw bad(value, "the port must be a number from 1 to 65535, as in lmtp:127.0.0.1:24");
        }
        int number = Integer.parseInt(port);
        if (number < 1 || number > 65535) {
            throw bad(value, "the port must be a number from 1 to 65535, as in lmtp:127.0.0.1:24");
        }
        return new Tcp(host, number);
    }

    private static IllegalArgumentException bad(String value, String why) {
        return new IllegalArgumentException("bad LMTP endpoint \"" + value + "\": " + why);
    }
}
