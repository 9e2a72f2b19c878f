package dev.posthorn.delivery.remote;

import dev.posthorn.delivery.QueueConfig;
import java.time.Duration;

/**
 * What an outbound SMTP connection needs to know: our name for EHLO, the timeouts of RFC 5321 §4.5.3.2, and the
 * DANE / MTA-STS policies to apply to MX hosts ({@code security}, null when none apply).
 */
public record ClientSettings(String heloName, Duration connect, Duration greeting, Duration command,
                            Duration dataInit, Duration dataBlock, Duration dataEnd, TransportSecurity security) {

    public ClientSettings(String heloName, Duration connect, Duration greeting, Duration command, Duration dataInit,
                          Duration dataBlock, Duration dataEnd) {
        this(heloName, connect, greeting, command, dataInit, dataBlock, dataEnd, null);
    }

    public static ClientSettings from(String heloName, QueueConfig q) {
        return new ClientSettings(heloName, Duration.ofSeconds(q.connectTimeoutSeconds),
                Duration.ofSeconds(q.greetingTimeoutSeconds), Duration.ofSeconds(q.commandTimeoutSeconds),
                Duration.ofSeconds(q.dataInitTimeoutSeconds), Duration.ofSeconds(q.dataBlockTimeoutSeconds),
                Duration.ofSeconds(q.dataEndTimeoutSeconds));
    }

    public ClientSettings withSecurity(TransportSecurity s) {
        return new ClientSettings(heloName, connect, greeting, command, dataInit, dataBlock, dataEnd, s);
    }

    /** RFC 5321 §4.5.3.2 defaults: 5 min greeting, MAIL and RCPT; 2 min DATA; 3 min per block; 10 min end of data. */
    public static ClientSettings defaults(String heloName) {
        return from(heloName, new QueueConfig());
    }

    /** Every timeout set to the same value: for tests. */
    public static ClientSettings uniform(String heloName, Duration all) {
        return new ClientSettings(heloName, all, all, all, all, all, all);
    }
}
