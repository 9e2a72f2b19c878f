package dev.posthorn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.delivery.fixtures.SignedZone;
import dev.posthorn.delivery.fixtures.UnboundServer;
import dev.posthorn.probe.PolicyCheck;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code posthorn probe --dane} behind a resolver that strips DNSSEC records says so instead of a bogus answer. */
@Timeout(60)
class ProbePoliciesTest {

    @TempDir
    Path dir;

    @Test
    void daneBehindAStrippingResolverIsRefusedAsDnssecUnavailable() throws Exception {
        SignedZone signed = SignedZone.sign(dir.resolve("zone"), "anchor.test.", List.of(), s -> s);
        try (UnboundServer dns = UnboundServer.start(Files.createDirectories(dir.resolve("dns")), List.of("anchor.test."),
                List.of("mx.unsigned.anchor.test. A 127.0.0.1"))) {
            PolicyCheck check = ProbePolicies.check("mx.unsigned.anchor.test", true, null, List.of(dns.address()),
                    signed.anchor(), Duration.ofSeconds(5));
            assertThat(check.trust()).isNull();
            assertThat(check.refusal()).startsWith("DNSSEC unavailable: ")
                    .endsWith("(use --dns with a resolver that passes DNSSEC records through, e.g. a local unbound)");
        }
    }
}
