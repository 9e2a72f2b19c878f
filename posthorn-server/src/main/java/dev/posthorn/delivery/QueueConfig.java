package dev.posthorn.delivery;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code [queue]}: retries, notices and limits of delivery, local and remote alike. Defaults follow RFC 5321 §4.5.4.1
 * (retry at least 30 minutes apart after the first attempts, give up after 4-5 days) and §4.5.3.2 (timeouts).
 */
public class QueueConfig {
    /** Wait before each retry; the last value repeats. Default: 5, 10, 20, 40 minutes, then every hour. */
    public List<Long> retryIntervalsSeconds = new ArrayList<>(List.of(300L, 600L, 1200L, 2400L, 3600L));
    public long giveUpAfterSeconds = Duration.ofDays(5).toSeconds();
    /** A "delayed" DSN (RFC 3464) once a recipient has waited this long; 0 disables it. */
    public long delayNoticeAfterSeconds = Duration.ofHours(4).toSeconds();
    /**
     * How often the scheduler's sweep runs. It sends nothing (the due index decides every attempt); it saves a
     * state whose save failed and finishes a message whose tombstone failed.
     */
    public double sweepIntervalSeconds = 60;
    /** Outbound connections in all (Postfix: default_process_limit = 100). */
    public int maxConcurrentConnections = 100;
    /** Outbound connections to one destination (Postfix: default_destination_concurrency_limit = 20). */
    public int maxConnectionsPerDestination = 20;
    /** Messages sent over one connection before it is closed and a new one opened. */
    public int maxMessagesPerConnection = 100;
    /** "opportunistic" (STARTTLS when offered), "required", "verify" or "none". */
    public String tls = "opportunistic";
    /** The port of remote MX hosts: 25, except for tests on loopback. */
    public int remotePort = 25;
    /** Domains whose mail must go over TLS (mail to them defers when the peer offers none). */
    public List<String> tlsRequiredDomains = new ArrayList<>();

    // RFC 5321 §4.5.3.2: client timeouts.
    public int connectTimeoutSeconds = 30;
    public int greetingTimeoutSeconds = 300;
    public int commandTimeoutSeconds = 300;
    public int dataInitTimeoutSeconds = 120;
    public int dataBlockTimeoutSeconds = 180;
    public int dataEndTimeoutSeconds = 600;
}
