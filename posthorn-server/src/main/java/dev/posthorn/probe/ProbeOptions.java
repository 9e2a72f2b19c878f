package dev.posthorn.probe;

import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;

/**
 * What to probe and how.
 *
 * @param user            login name, or null for no AUTH
 * @param password        the password when {@code user} is set; never printed
 * @param from            envelope sender; defaults to the user when it is an address
 * @param to              recipient of the test message, or null for a capability check (no MAIL)
 * @param authWithoutTls  send credentials over an unencrypted connection; off unless a caller forces it
 */
public record ProbeOptions(String host, int port, Security security, boolean insecure, String user,
                           char[] password, String from, String to, String ehloName, Duration connectTimeout,
                           Duration replyTimeout, boolean authWithoutTls) {

    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_REPLY_TIMEOUT = Duration.ofSeconds(30);
    public static final String DEFAULT_EHLO = "probe.local";

    public ProbeOptions {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(security, "security");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        if (user != null && password == null) {
            throw new IllegalArgumentException("a user needs a password");
        }
        ehloName = ehloName == null ? DEFAULT_EHLO : ehloName;
        connectTimeout = connectTimeout == null ? DEFAULT_CONNECT_TIMEOUT : connectTimeout;
        replyTimeout = replyTimeout == null ? DEFAULT_REPLY_TIMEOUT : replyTimeout;
    }

    /** A plain probe of {@code host:port} with defaults for everything else. */
    public static ProbeOptions of(String host, int port) {
        return new ProbeOptions(host, port, Security.NONE, false, null, null, null, null, null, null, null, false);
    }

    public ProbeOptions withSecurity(Security s, boolean trustAnything) {
        return new ProbeOptions(host, port, s, trustAnything, user, password, from, to, ehloName, connectTimeout,
                replyTimeout, authWithoutTls);
    }

    public ProbeOptions withLogin(String u, char[] p) {
        return new ProbeOptions(host, port, security, insecure, u, p, from, to, ehloName, connectTimeout,
                replyTimeout, authWithoutTls);
    }

    public ProbeOptions withEnvelope(String sender, String recipient) {
        return new ProbeOptions(host, port, security, insecure, user, password, sender, recipient, ehloName,
                connectTimeout, replyTimeout, authWithoutTls);
    }

    public ProbeOptions withTimeouts(Duration connect, Duration reply) {
        return new ProbeOptions(host, port, security, insecure, user, password, from, to, ehloName, connect, reply,
                authWithoutTls);
    }

    public ProbeOptions withEhloName(String name) {
        return new ProbeOptions(host, port, security, insecure, user, password, from, to, name, connectTimeout,
                replyTimeout, authWithoutTls);
    }

    public ProbeOptions withAuthWithoutTls(boolean force) {
        return new ProbeOptions(host, port, security, insecure, user, password, from, to, ehloName, connectTimeout,
                replyTimeout, force);
    }

    /** The sender used in MAIL FROM: --from, else the login when it is an address, else probe@EHLO-name. */
    public String sender() {
        if (from != null) {
            return from;
        }
        if (user != null && user.contains("@")) {
            return user;
        }
        return "probe@" + ehloName;
    }

    /** "host:port", with brackets around an IPv6 literal. */
    public String address() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    /** Overwrites the password in memory once the probe is done. */
    public void wipePassword() {
        if (password != null) {
            Arrays.fill(password, '\0');
        }
    }

    @Override
    public String toString() {
        return "ProbeOptions[" + address() + ", " + security + (insecure ? ", insecure" : "")
                + (user != null ? ", user=" + user + ", password=********" : "") + "]";
    }
}
