package dev.posthorn.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.posthorn.config.ConfigException;
import dev.posthorn.config.ConfigLoader;
import dev.posthorn.config.ConfigProblem;
import dev.posthorn.config.PosthornConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The outbound sections of posthorn.toml: read with snake_case keys, checked with messages that name the key. */
class OutboundConfigTest {

    @TempDir
    Path dir;

    private Path write(String toml) throws Exception {
        Path file = dir.resolve("posthorn.toml");
        Files.writeString(file, toml);
        return file;
    }

    @Test
    void everyOutboundSectionIsReadFromToml() throws Exception {
        PosthornConfig c = ConfigLoader.load(write("""
                [queue]
                retry_intervals_seconds = [60, 120]
                give_up_after_seconds = 3600
                delay_notice_after_seconds = 0
                max_connections_per_destination = 2
                tls = "required"
                tls_required_domains = ["bank.example"]

                [routes]
                "remote.test" = "127.0.0.1:2526"
                "v6.test" = "[::1]:2526 tls=required"

                [relay]
                host = "smarthost.example"
                port = 587
                user = "me"
                password = "secret"
                tls = "opportunistic"

                [dns]
                servers = ["127.0.0.1:5353"]
                timeout_seconds = 2
                """));
        assertThat(c.queue.retryIntervalsSeconds).containsExactly(60L, 120L);
        assertThat(c.queue.giveUpAfterSeconds).isEqualTo(3600);
        assertThat(c.queue.tlsRequiredDomains).containsExactly("bank.example");
        assertThat(c.routes).containsEntry("remote.test", "127.0.0.1:2526").containsEntry("v6.test", "[::1]:2526 tls=required");
        assertThat(c.relay.host).isEqualTo("smarthost.example");
        assertThat(c.dns.servers).containsExactly("127.0.0.1:5353");
        assertThat(RetrySchedule.from(c.queue).delayAfter(5)).hasSeconds(120);
    }

    @Test
    void badValuesAreNamedWithTheirFix() throws Exception {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(write("""
                [queue]
                retry_intervals_seconds = []
                tls = "sometimes"

                [routes]
                "remote.test" = "127.0.0.1:notaport"
                """)));
        List<String> keys = e.problems().stream().map(ConfigProblem::key).toList();
        assertThat(keys).contains("queue.retry_intervals_seconds", "queue.tls", "routes.\"remote.test\"");
    }
}
