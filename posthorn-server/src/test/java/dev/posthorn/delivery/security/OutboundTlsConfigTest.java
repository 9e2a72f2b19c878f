package dev.posthorn.delivery.security;

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

/** {@code [outbound_tls]} in posthorn.toml: safe defaults, snake_case keys, bad values named with their fix. */
class OutboundTlsConfigTest {

    @TempDir
    Path dir;

    @Test
    void defaultsUseDaneAndMtaStsAndSendNoReports() {
        PosthornConfig c = new PosthornConfig();
        assertThat(c.outboundTls.dane).isTrue();
        assertThat(c.outboundTls.mtaSts).isTrue();
        assertThat(c.outboundTls.tlsRpt).isFalse();
        assertThat(c.outboundTls.trustAnchorFile).isEmpty();
    }

    @Test
    void theSectionIsReadFromToml() throws Exception {
        Path anchor = dir.resolve("anchor.ds");
        Files.writeString(anchor, "example. IN DS 12345 13 2 " + "ab".repeat(32) + "\n");
        Path file = dir.resolve("posthorn.toml");
        Files.writeString(file, """
                [outbound_tls]
                dane = false
                mta_sts = true
                trust_anchor_file = "%s"
                mta_sts_timeout_seconds = 4
                tls_rpt = true
                tls_rpt_from = "tlsrpt@example.com"
                """.formatted(anchor));
        PosthornConfig c = ConfigLoader.load(file);
        assertThat(c.outboundTls.dane).isFalse();
        assertThat(c.outboundTls.trustAnchorFile).isEqualTo(anchor.toString());
        assertThat(c.outboundTls.mtaStsTimeoutSeconds).isEqualTo(4);
        assertThat(c.outboundTls.tlsRpt).isTrue();
        assertThat(c.outboundTls.tlsRptFrom).isEqualTo("tlsrpt@example.com");
    }

    @Test
    void badValuesAreNamedWithTheirFix() throws Exception {
        Path notAnAnchor = dir.resolve("anchor.txt");
        Files.writeString(notAnAnchor, "hello\n");
        Path file = dir.resolve("posthorn.toml");
        Files.writeString(file, """
                [outbound_tls]
                trust_anchor_file = "%s"
                mta_sts_trust_store = "%s"
                mta_sts_timeout_seconds = 0
                mta_sts_port = 70000
                tls_rpt_from = "not an address"
                """.formatted(notAnAnchor, dir.resolve("missing.pem")));
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(file));
        List<String> keys = e.problems().stream().map(ConfigProblem::key).toList();
        assertThat(keys).containsExactlyInAnyOrder("outbound_tls.trust_anchor_file", "outbound_tls.mta_sts_trust_store",
                "outbound_tls.mta_sts_timeout_seconds", "outbound_tls.mta_sts_port", "outbound_tls.tls_rpt_from");
        assertThat(e.problems()).anySatisfy(p -> assertThat(p.problem()).contains("holds no DS or DNSKEY record"));
    }
}
