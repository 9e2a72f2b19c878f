package dev.posthorn.config;

import dev.posthorn.delivery.OutboundTlsConfig;
import dev.posthorn.delivery.QueueConfig;
import dev.posthorn.delivery.remote.SecureDelivery;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.posthorn.delivery.remote.Router;
import dev.posthorn.delivery.target.DeliveryTargets;
import dev.posthorn.delivery.remote.TlsPolicy;
import java.util.List;
import java.util.Map;

/** Checks of the outbound sections: [queue], [routes], [relay], [dns], [outbound_tls]. */
final class DeliveryConfigValidator {

    private DeliveryConfigValidator() {
    }

    static void validate(PosthornConfig config, List<ConfigProblem> problems) {
        QueueConfig q = config.queue;
        if (q.retryIntervalsSeconds == null || q.retryIntervalsSeconds.isEmpty()
                || q.retryIntervalsSeconds.stream().anyMatch(v -> v == null || v <= 0)) {
            problems.add(new ConfigProblem("queue.retry_intervals_seconds", "needs one or more positive numbers",
                    "e.g. [300, 600, 1200, 2400, 3600]: the last value repeats"));
        }
        positive(problems, "queue.give_up_after_seconds", q.giveUpAfterSeconds);
        if (q.delayNoticeAfterSeconds < 0) {
            problems.add(new ConfigProblem("queue.delay_notice_after_seconds", "must not be negative",
                    "use 0 to send no delay notices"));
        }
        positive(problems, "queue.max_concurrent_connections", q.maxConcurrentConnections);
        positive(problems, "queue.max_connections_per_destination", q.maxConnectionsPerDestination);
        positive(problems, "queue.max_messages_per_connection", q.maxMessagesPerConnection);
        positive(problems, "queue.connect_timeout_seconds", q.connectTimeoutSeconds);
        positive(problems, "queue.greeting_timeout_seconds", q.greetingTimeoutSeconds);
        positive(problems, "queue.command_timeout_seconds", q.commandTimeoutSeconds);
        positive(problems, "queue.data_init_timeout_seconds", q.dataInitTimeoutSeconds);
        positive(problems, "queue.data_block_timeout_seconds", q.dataBlockTimeoutSeconds);
        positive(problems, "queue.data_end_timeout_seconds", q.dataEndTimeoutSeconds);
        if (q.remotePort < 1 || q.remotePort > 65535) {
            problems.add(new ConfigProblem("queue.remote_port", q.remotePort + " is not a port number", "use 25"));
        }
        tls(problems, "queue.tls", q.tls);
        if (config.relay.enabled()) {
            tls(problems, "relay.tls", config.relay.tls);
            if (config.relay.port < 1 || config.relay.port > 65535) {
                problems.add(new ConfigProblem("relay.port", config.relay.port + " is not a port number",
                        "use 587 (submission) or 465"));
            }
        }
        for (Map.Entry<String, String> route : config.routes.entrySet()) {
            try {
                new Router(Map.of(route.getKey(), route.getValue()), null, new QueueConfig(), 25);
            } catch (IllegalArgumentException e) {
                problems.add(new ConfigProblem("routes.\"" + route.getKey() + "\"", e.getMessage(),
                        "write \"host:port\", e.g. \"127.0.0.1:2526\", optionally followed by \" tls=required\""));
            }
        }
        positive(problems, "dns.timeout_seconds", config.dns.timeoutSeconds);
        if (!(q.sweepIntervalSeconds >= 0.1)) {
            problems.add(new ConfigProblem("queue.sweep_interval_seconds", "must be at least 0.1", "use 60"));
        }
        localTransport(problems, "delivery.local", config.delivery.local);
        for (Map.Entry<String, String> d : config.delivery.domains.entrySet()) {
            localTransport(problems, "delivery.domains.\"" + d.getKey() + "\"", d.getValue());
            if (!config.server.domains.stream().anyMatch(h -> h.equalsIgnoreCase(d.getKey()))) {
                problems.add(new ConfigProblem("delivery.domains.\"" + d.getKey() + "\"", "not a hosted domain",
                        "add it to server.domains, or remove this line"));
            }
        }
        positive(problems, "delivery.local_concurrency", config.delivery.localConcurrency);
        positive(problems, "delivery.local_batch", config.delivery.localBatch);
        double hold = config.delivery.localHoldSeconds;
        if (!(hold >= 0 && hold <= 20)) {
            // A journal segment takes messages for up to 10 s and keeps them in memory 30 s from its start: a longer
            // hold would have the checkpoint write held messages to files, only to be read back at delivery.
            problems.add(new ConfigProblem("delivery.local_hold_seconds", "must be from 0 to 20",
                    "use 5, or 0 to deliver local mail at once even during a burst"));
        }
        positive(problems, "delivery.lmtp_connections", config.delivery.lmtpConnections);
        outboundTls(config.outboundTls, problems);
    }

    private static void localTransport(List<ConfigProblem> problems, String key, String value) {
        try {
            DeliveryTargets.check(value, key);
        } catch (IllegalArgumentException e) {
            problems.add(new ConfigProblem(key, e.getMessage(), "write \"maildir\", \"lmtp:unix:/run/dovecot/lmtp\" or "
                    + "\"lmtp:127.0.0.1:24\""));
        }
    }

    /** [outbound_tls]: the files must be there and hold what they should; a broken anchor would defer all mail. */
    private static void outboundTls(OutboundTlsConfig t, List<ConfigProblem> problems) {
        if (!t.trustAnchorFile.isBlank()) {
            Path f = Path.of(t.trustAnchorFile);
            try {
                String text = Files.readString(f);
                if (!text.matches("(?s).*\\s(DS|DNSKEY)\\s.*")) {
                    problems.add(new ConfigProblem("outbound_tls.trust_anchor_file", f + " holds no DS or DNSKEY record",
                            "give DS or DNSKEY records in zone-file form, or leave it empty for the root's built-in anchors"));
                }
            } catch (IOException | RuntimeException e) {
                problems.add(new ConfigProblem("outbound_tls.trust_anchor_file", "cannot read " + f + ": " + e.getMessage(),
                        "give a readable file, or leave it empty for the root's built-in anchors"));
            }
        }
        if (!t.mtaStsTrustStore.isBlank()) {
            try {
                SecureDelivery.webPki(t.mtaStsTrustStore);
            } catch (IOException | RuntimeException e) {
                problems.add(new ConfigProblem("outbound_tls.mta_sts_trust_store", e.getMessage(),
                        "give a PEM file of CA certificates, or leave it empty for the JDK's trust store"));
            }
        }
        positive(problems, "outbound_tls.mta_sts_timeout_seconds", t.mtaStsTimeoutSeconds);
        if (t.mtaStsPort < 1 || t.mtaStsPort > 65535) {
            problems.add(new ConfigProblem("outbound_tls.mta_sts_port", t.mtaStsPort + " is not a port number", "use 443"));
        }
        for (String[] key : new String[][] {{"outbound_tls.tls_rpt_from", t.tlsRptFrom},
                {"outbound_tls.tls_rpt_contact", t.tlsRptContact}}) {
            if (!key[1].isBlank() && !key[1].matches("[^@\\s<>]+@[^@\\s<>]+")) {
                problems.add(new ConfigProblem(key[0], "'" + key[1] + "' is not a mail address",
                        "use an address such as postmaster@example.com, or leave it empty"));
            }
        }
    }

    private static void tls(List<ConfigProblem> problems, String key, String value) {
        try {
            TlsPolicy.parse(value, key);
        } catch (IllegalArgumentException e) {
            problems.add(new ConfigProblem(key, "'" + value + "' is not a TLS policy",
                    "use \"opportunistic\", \"required\", \"verify\" or \"none\""));
        }
    }

    private static void positive(List<ConfigProblem> problems, String key, long value) {
        if (value <= 0) {
            problems.add(new ConfigProblem(key, "must be greater than 0", "use a positive number"));
        }
    }
}
