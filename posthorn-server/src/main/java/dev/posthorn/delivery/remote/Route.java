package dev.posthorn.delivery.remote;

/**
 * Where mail for a domain goes. The {@link #key()} names the destination: messages with the same key share
 * connections and the per-destination concurrency limit.
 */
public sealed interface Route {

    String key();

    TlsPolicy tls();

    /** {@code [routes]}: a fixed host and port for a domain (Postfix's transport map). */
    record Static(String host, int port, TlsPolicy tls) implements Route {
        @Override
        public String key() {
            return "route:" + host + ":" + port;
        }
    }

    /** {@code [relay]}: every non-local domain goes to one smarthost, with optional AUTH. */
    record Smarthost(String host, int port, String user, String password, TlsPolicy tls) implements Route {
        @Override
        public String key() {
            return "relay:" + host + ":" + port;
        }

        @Override
        public String toString() {
            return "Smarthost[" + host + ":" + port + ", user=" + user + ", tls=" + tls + "]"; // never the password
        }
    }

    /** The domain's MX hosts on port 25 (or the port configured for tests). */
    record Mx(String domain, int port, TlsPolicy tls) implements Route {
        @Override
        public String key() {
            return "mx:" + domain;
        }
    }
}
