package dev.posthorn.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.posthorn.config.ConfigException;
import dev.posthorn.config.ConfigLoader;
import dev.posthorn.config.ConfigProblem;
import dev.posthorn.config.PosthornConfig;
import dev.posthorn.delivery.remote.MxResolver;
import dev.posthorn.delivery.remote.Router;
import dev.posthorn.delivery.remote.ClientSettings;
import dev.posthorn.delivery.target.DeliveryTargets;
import dev.posthorn.delivery.target.Destination;
import dev.posthorn.delivery.lmtp.LmtpEndpoint;
import dev.posthorn.delivery.target.OutboundFilter;
import dev.posthorn.server.PosthornServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code [delivery]}: Maildir or LMTP, globally and per domain, read from TOML, checked with messages that name
 * the key, and turned into destinations the scheduler groups work by.
 */
class LocalTransportConfigTest {

    @TempDir
    Path dir;

    private Path write(String toml) throws IOException {
        Path file = dir.resolve("posthorn.toml");
        Files.writeString(file, toml);
        return file;
    }

    @Test
    void maildirAndLmtpAreReadGloballyAndPerDomain() throws Exception {
        PosthornConfig c = ConfigLoader.load(write("""
                [server]
                domains = ["example.com", "lists.example.com", "v6.example.com"]

                [delivery]
                local = "lmtp:unix:/run/dovecot/lmtp"
                local_concurrency = 2

                [delivery.domains]
                "lists.example.com" = "maildir"
                "v6.example.com" = "lmtp:[::1]:24"
                """), x -> { });
        assertThat(c.delivery.local).isEqualTo("lmtp:unix:/run/dovecot/lmtp");
        assertThat(c.delivery.localConcurrency).isEqualTo(2);
        DeliveryTargets targets = new DeliveryTargets(c.delivery, new LocalDelivery(dir, "mx.test", a -> a),
                new Router(Map.of(), null, c.queue, 25), MxResolver.from(c.dns), ClientSettings.defaults("mx.test"),
                c.queue, OutboundFilter.NONE, (endpoint, deadlines) -> {
                    throw new IllegalStateException("not used here");
                });
        assertThat(targets.destinationOf("a@example.com", true))
                .isEqualTo(new Destination.Lmtp(new LmtpEndpoint.Unix(java.nio.file.Path.of("/run/dovecot/lmtp")), 10));
        assertThat(targets.destinationOf("a@lists.example.com", true)).isEqualTo(new Destination.Mailbox(2));
        assertThat(targets.destinationOf("a@V6.example.com", true).key()).isEqualTo("lmtp:[::1]:24");
        assertThat(targets.destinationOf("a@elsewhere.test", false).key()).isEqualTo("mx:elsewhere.test");
    }

    @Test
    void badValuesAreNamedWithTheirFix() throws Exception {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(write("""
                [server]
                domains = ["example.com"]

                [delivery]
                local = "mbox"

                [delivery.domains]
                "example.com" = "lmtp:unix:run/dovecot/lmtp"
                "other.test" = "lmtp:127.0.0.1:99999"
                """), x -> { }));
        List<ConfigProblem> problems = e.problems();
        assertThat(problems).extracting(ConfigProblem::key).contains("delivery.local",
                "delivery.domains.\"example.com\"", "delivery.domains.\"other.test\"");
        assertThat(problems.toString()).contains("must be absolute", "bad host or port", "not a hosted domain",
                "use \"maildir\"");
    }

    @Test
    void anLmtpServerNotYetListeningDoesNotStopTheServerFromStarting() throws Exception {
        PosthornConfig c = ConfigLoader.load(write("""
                [server]
                data_dir = "%s"
                domains = ["example.com"]

                [listen]
                mx_port = 0
                submission_port = 0
                smtps_port = 0

                [delivery]
                local = "lmtp:127.0.0.1:24"
                """.formatted(dir.resolve("data").toString().replace("\\", "/"))), x -> { });
        // The LMTP client connects on the first delivery, not at start: Dovecot may start after Posthorn, and its
        // absence defers local mail (the queue keeps it) instead of refusing every message.
        PosthornServer.start(c).close();
    }
}
