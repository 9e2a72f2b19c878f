package dev.posthorn.config;

import dev.posthorn.delivery.DeliveryConfig;
import dev.posthorn.delivery.DnsConfig;
import dev.posthorn.delivery.QueueConfig;
import dev.posthorn.delivery.RelayConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The whole of {@code posthorn.toml}. Every field has a safe default, so an empty file (or none) runs a
 * server for {@code localhost} on unprivileged loopback ports. Keys are snake_case in the file;
 * {@code docs/configuration.md} documents each one.
 */
public final class PosthornConfig {

    public Server server = new Server();
    public Listen listen = new Listen();
    public Limits limits = new Limits();
    public dev.posthorn.tls.TlsConfig tls = new dev.posthorn.tls.TlsConfig();
    public dev.posthorn.auth.AuthConfig auth = new dev.posthorn.auth.AuthConfig();
    /** How hosted mailboxes are stored: Maildir here, or an LMTP server, globally or per domain. */
    public DeliveryConfig delivery = new DeliveryConfig();
    /** Delivery: retries, notices, concurrency, timeouts, TLS policy. */
    public QueueConfig queue = new QueueConfig();
    /** Static routes, domain to "host:port" (Postfix's transport map): {@code "remote.test" = "127.0.0.1:2526"}. */
    public Map<String, String> routes = new LinkedHashMap<>();
    /** A smarthost for all non-local mail; unset = deliver to each domain's MX. */
    public RelayConfig relay = new RelayConfig();
    /** Resolvers for MX/A/AAAA lookups. */
    public DnsConfig dns = new DnsConfig();
    /** DANE, MTA-STS and TLS reports for outbound delivery. */
    public dev.posthorn.delivery.OutboundTlsConfig outboundTls = new dev.posthorn.delivery.OutboundTlsConfig();
    /** The web server of {@code posthorn serve}: the reply-code reference and, later, the console. */
    public Web web = new Web();

    /** SPF, DKIM, DMARC and ARC checks on the MX port; DKIM signing; ARC sealing. */
    public dev.posthorn.policy.MailAuthConfig mailauth = new dev.posthorn.policy.MailAuthConfig();
    /** Where users and domains live: files in the data directory, or PostgreSQL shared by several nodes. */
    public dev.posthorn.store.StoreConfig store = new dev.posthorn.store.StoreConfig();

    /** Identity and storage. */
    public static final class Server {
        /** Name in the greeting, EHLO reply and Received: fields; empty means the system's host name. */
        public String hostname = "";
        /** Where the queue, mailboxes, users and generated certificates live. */
        public String dataDir = "posthorn-data";
        /** Domains whose mail is delivered here (beside those added with {@code posthorn domain add}). */
        public List<String> domains = new ArrayList<>(List.of("localhost"));
    }

    /** Where to listen; a port of 0 turns that listener off. */
    public static final class Listen {
        public List<String> bind = new ArrayList<>(List.of("127.0.0.1"));
        public int mxPort = 2525;
        public int submissionPort = 2587;
        public int smtpsPort = 2465;
    }

    /** The embedded web server; {@code port = 0} turns it off. */
    public static final class Web {
        public int port = 8025;
        public String bind = "127.0.0.1";
        /** HTTPS with the server's certificates ([tls]) instead of plain HTTP. */
        public boolean tls = false;
        /** The address people reach the site at, for canonical links and the sitemap; empty = from each request. */
        public String publicUrl = "";
        /**
         * The operator's console under /admin: "loopback" (default) answers only clients on a loopback address,
         * "on" answers every client that reaches the web server, "off" leaves it out.
         */
        public String console = "loopback";
    }

    /** Admission and resource limits. */
    public static final class Limits {
        public int maxConnections = 10_000;
        public int maxConnectionsPerIp = 100;
        public int maxRecipients = 100;
        public long maxMessageSize = 35L * 1024 * 1024;
        public int maxErrors = 20;
        public int maxHops = 100;
        /** RFC 5321 §4.5.3.2.7: at least 5 minutes for the next command. */
        public int commandTimeoutSeconds = 300;
        /** Total time allowed for one message's content, against slow-loris clients. */
        public int dataTimeoutSeconds = 600;
        public int sessionTimeoutSeconds = 3600;
        /** Seconds to let busy sessions finish on shutdown before they are cut. */
        public int shutdownGraceSeconds = 10;
        /** SMTP-CONFORMANCE B-6: unauthenticated clients may not send ahead of EHLO/DATA replies. */
        public boolean forbidUnauthPipelining = true;
        /** Below this much free space in the data directory, mail gets 452 4.3.1 at MAIL and end of DATA; 0: off. */
        public long minFreeDiskMb = 100;
    }
}
