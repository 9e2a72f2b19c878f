package dev.posthorn.delivery.target;

/**
 * An LMTP server (RFC 2033): a Unix socket ({@code unixPath}) or a TCP host and port. Written in the
 * configuration as {@code "lmtp:unix:/run/dovecot/lmtp"}, {@code "lmtp:127.0.0.1:24"} or {@code "lmtp:[::1]:24"}.
 */
public record LmtpEndpoint(String unixPath, String host, int port) {

    public static LmtpEndpoint unix(String path) {
        return new LmtpEndpoint(path, null, 0);
    }

    public static LmtpEndpoint tcp(String host, int port) {
        return new LmtpEndpoint(null, host, port);
    }

    public boolean isUnix() {
        return unixPath != null;
    }

    @Override
    public String toString() {
        return isUnix() ? "unix:" + unixPath : (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
