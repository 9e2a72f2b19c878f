package dev.posthorn.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** Checks values the types alone cannot: ranges, names, addresses. */
final class ConfigValidator {

    private static final Pattern DOMAIN = Pattern.compile(
            "(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");

    private ConfigValidator() {
    }

    static List<ConfigProblem> validate(PosthornConfig config) {
        List<ConfigProblem> problems = new ArrayList<>();
        PosthornConfig.Server server = config.server;
        if (!server.hostname.isEmpty() && !DOMAIN.matcher(server.hostname).matches()) {
            problems.add(new ConfigProblem("server.hostname", "'" + server.hostname + "' is not a host name",
                    "use a fully qualified name such as mx.example.com, or leave it empty for the system's"));
        }
        if (server.domains.isEmpty() && !config.store.isPostgresql()) {
            problems.add(new ConfigProblem("server.domains", "no domain is hosted",
                    "list at least one domain, e.g. domains = [\"example.com\"] (with [store] kind = \"postgresql\","
                            + " domains may come from the database alone: posthorn domain add)"));
        }
        for (String domain : server.domains) {
            if (!DOMAIN.matcher(domain).matches()) {
                problems.add(new ConfigProblem("server.domains", "'" + domain + "' is not a domain name",
                        "use names like example.com"));
            }
        }
        try {
            Path.of(server.dataDir);
        } catch (InvalidPathException e) {
            problems.add(new ConfigProblem("server.data_dir", "not a usable path", "give a directory path"));
        }
        port(problems, "listen.mx_port", config.listen.mxPort);
        port(problems, "listen.submission_port", config.listen.submissionPort);
        port(problems, "listen.smtps_port", config.listen.smtpsPort);
        if (config.listen.bind.isEmpty()) {
            problems.add(new ConfigProblem("listen.bind", "no address to listen on",
                    "use [\"127.0.0.1\"] for local tests or [\"0.0.0.0\", \"::\"] for all addresses"));
        }
        web(problems, config.web);
        PosthornConfig.Limits limits = config.limits;
        positive(problems, "limits.max_connections", limits.maxConnections);
        positive(problems, "limits.max_connections_per_ip", limits.maxConnectionsPerIp);
        positive(problems, "limits.max_errors", limits.maxErrors);
        positive(problems, "limits.command_timeout_seconds", limits.commandTimeoutSeconds);
        positive(problems, "limits.data_timeout_seconds", limits.dataTimeoutSeconds);
        positive(problems, "limits.session_timeout_seconds", limits.sessionTimeoutSeconds);
        if (limits.maxRecipients < 100) {
            problems.add(new ConfigProblem("limits.max_recipients", "must be at least 100",
                    "RFC 5321 §4.5.3.1.8 requires accepting 100 recipients per message"));
        }
        if (limits.maxMessageSize < 65_536) {
            problems.add(new ConfigProblem("limits.max_message_size", "must be at least 65536 bytes",
                    "RFC 5321 §4.5.3.1.7 requires accepting 64 KiB messages"));
        }
        if (limits.maxHops < 100) {
            problems.add(new ConfigProblem("limits.max_hops", "must be at least 100",
                    "RFC 5321 §6.3 sets the loop-detection threshold at 100 or more"));
        }
        if (limits.minFreeDiskMb < 0) {
            problems.add(new ConfigProblem("limits.min_free_disk_mb", "must not be negative",
                    "use 0 to turn the free-space check off, or the megabytes that must stay free"));
        } else if (limits.minFreeDiskMb > Long.MAX_VALUE >> 20) {
            // In bytes it would wrap around (2^43 MiB is Long.MIN_VALUE): the check would silently be off.
            problems.add(new ConfigProblem("limits.min_free_disk_mb", "is too large to count in bytes",
                    "use the megabytes that must stay free, such as 1024"));
        }
        if (limits.shutdownGraceSeconds < 0) {
            problems.add(new ConfigProblem("limits.shutdown_grace_seconds", "must not be negative", "use 0 or more"));
        }
        if (config.auth.throttleDelaySeconds >= limits.commandTimeoutSeconds && limits.commandTimeoutSeconds > 0) {
            // The delayed AUTH reply is the server answering a command: it must come within the command timeout,
            // or the session's own deadline cuts the client with 421 before the reply the throttle meant to send.
            problems.add(new ConfigProblem("auth.throttle_delay_seconds",
                    "must be less than limits.command_timeout_seconds (" + limits.commandTimeoutSeconds + ")",
                    "the delayed AUTH reply must come before the command timeout; use a few seconds"));
        }
        section(problems, "tls", config.tls::validate);
        section(problems, "auth", config.auth::validate);
        section(problems, "mailauth", config.mailauth::validate);
        DeliveryConfigValidator.validate(config, problems);
        StoreConfigValidator.validate(config.store, problems);
        return problems;
    }

    private static void web(List<ConfigProblem> problems, PosthornConfig.Web web) {
        if (!List.of("loopback", "on", "off").contains(String.valueOf(web.console))) {
            problems.add(new ConfigProblem("web.console", "'" + web.console + "' is not a console setting",
                    "use \"loopback\" (only this machine), \"on\" or \"off\""));
        }
        if (web.port < 0 || web.port > 65535) {
            problems.add(new ConfigProblem("web.port", web.port + " is not a port number",
                    "use 1-65535, or 0 to turn the web server off"));
        }
        if (web.bind == null || web.bind.isBlank()) {
            problems.add(new ConfigProblem("web.bind", "no address to listen on",
                    "use \"127.0.0.1\" (this machine only) or \"0.0.0.0\" / \"::\" (every address)"));
        }
        if (web.publicUrl != null && !web.publicUrl.isEmpty()) {
            java.net.URI uri;
            try {
                uri = new java.net.URI(web.publicUrl);
            } catch (java.net.URISyntaxException e) {
                uri = null;
            }
            boolean usable = uri != null && ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
                    && uri.getHost() != null && uri.getQuery() == null && uri.getFragment() == null
                    && (uri.getRawPath() == null || uri.getRawPath().isEmpty() || "/".equals(uri.getRawPath()));
            if (!usable) {
                problems.add(new ConfigProblem("web.public_url", "'" + web.publicUrl + "' is not a site address",
                        "use scheme and host only, e.g. \"https://codes.example.com\" (or leave it empty)"));
            }
        }
    }

    /** Sections that validate themselves report by exception; the message names the key. */
    private static void section(List<ConfigProblem> problems, String name, Runnable validate) {
        try {
            validate.run();
        } catch (IllegalArgumentException e) {
            String message = e.getMessage();
            int colon = message.indexOf(' ');
            String key = colon > 0 && message.startsWith(name + ".") ? message.substring(0, colon) : name;
            problems.add(new ConfigProblem(key, message, "see docs/configuration.md, section [" + name + "]"));
        }
    }

    private static void port(List<ConfigProblem> problems, String key, int port) {
        if (port < 0 || port > 65535) {
            problems.add(new ConfigProblem(key, port + " is not a port number",
                    "use 1-65535, or 0 to turn this listener off"));
        }
    }

    private static void positive(List<ConfigProblem> problems, String key, long value) {
        if (value <= 0) {
            problems.add(new ConfigProblem(key, "must be greater than 0", "use a positive number"));
        }
    }
}
