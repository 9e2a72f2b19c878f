package dev.posthorn.delivery.remote;

import dev.posthorn.delivery.QueueConfig;
import dev.posthorn.delivery.RelayConfig;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Chooses the route of a remote domain: a static route from {@code [routes]} first, then the smarthost of
 * {@code [relay]} when set, else the domain's MX. TLS is opportunistic unless the route, the relay or
 * {@code queue.tls_required_domains} says "required".
 */
public final class Router {

    private final Map<String, Route.Static> routes = new HashMap<>();
    private final Route.Smarthost smarthost;
    private final TlsPolicy defaultTls;
    private final Set<String> tlsRequired = new HashSet<>();
    private final int mxPort;

    /**
     * @param routes domain to "host:port" (IPv6 as "[::1]:2526"), optionally followed by " tls=required"
     * @param mxPort the port of MX hosts: 25, except in tests
     */
    public Router(Map<String, String> routes, RelayConfig relay, QueueConfig queue, int mxPort) {
        this.defaultTls = TlsPolicy.parse(queue.tls, "queue.tls");
        for (String d : queue.tlsRequiredDomains) {
            tlsRequired.add(normalise(d));
        }
        for (Map.Entry<String, String> e : routes.entrySet()) {
            this.routes.put(normalise(e.getKey()), parseRoute(e.getKey(), e.getValue()));
        }
        this.smarthost = relay != null && relay.enabled()
                ? new Route.Smarthost(relay.host, relay.port, relay.user, relay.password, TlsPolicy.parse(relay.tls, "relay.tls"))
                : null;
        this.mxPort = mxPort;
    }

    public Route route(String domain) {
        String d = normalise(domain);
        Route.Static r = routes.get(d);
        if (r != null) {
            return r;
        }
        if (smarthost != null) {
            return smarthost;
        }
        return new Route.Mx(d, mxPort, tlsRequired.contains(d) ? TlsPolicy.REQUIRED : defaultTls);
    }

    private Route.Static parseRoute(String domain, String value) {
        String[] words = value.trim().split("\\s+");
        TlsPolicy tls = tlsRequired.contains(normalise(domain)) ? TlsPolicy.REQUIRED : defaultTls;
        for (int i = 1; i < words.length; i++) {
            if (words[i].startsWith("tls=")) {
                tls = TlsPolicy.parse(words[i].substring(4), "routes.\"" + domain + "\"");
            } else {
                throw new IllegalArgumentException("routes.\"" + domain + "\" = \"" + value
                        + "\": expected \"host:port\" optionally followed by \"tls=required\"");
            }
        }
        String hostPort = words[0];
        String host;
        int port = 25;
        try {
            if (hostPort.startsWith("[")) {
                int close = hostPort.indexOf(']');
                host = hostPort.substring(1, close);
                if (hostPort.length() > close + 1) {
                    port = Integer.parseInt(hostPort.substring(close + 2));
                }
            } else if (hostPort.contains(":")) {
                host = hostPort.substring(0, hostPort.lastIndexOf(':'));
                port = Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1));
            } else {
                host = hostPort;
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("routes.\"" + domain + "\" = \"" + value
                    + "\": expected \"host:port\", e.g. \"127.0.0.1:2526\" or \"[::1]:2526\"", e);
        }
        if (host.isEmpty() || port < 1 || port > 65535) {
            throw new IllegalArgumentException("routes.\"" + domain + "\" = \"" + value + "\": bad host or port");
        }
        return new Route.Static(host, port, tls);
    }

    private static String normalise(String domain) {
        String d = domain.trim().toLowerCase(Locale.ROOT);
        return d.endsWith(".") ? d.substring(0, d.length() - 1) : d;
    }
}
