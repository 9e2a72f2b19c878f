package dev.posthorn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.delivery.security.TlsRptCollector;
import dev.posthorn.delivery.security.TlsRptResult;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code posthorn tls-report}: the figures a server saved, per domain and policy, for a given day. */
class TlsReportCommandTest {

    @TempDir
    Path data;

    @Test
    void printsTheFiguresOfTheDayAndTheirFailures() {
        Clock clock = Clock.fixed(Instant.parse("2026-11-30T12:00:00Z"), ZoneOffset.UTC);
        TlsRptCollector c = new TlsRptCollector(data.resolve("tls-rpt"), clock);
        TlsRptCollector.Policy sts = new TlsRptCollector.Policy("example.org", "sts",
                List.of("version: STSv1", "mode: testing", "mx: mx.example.org", "max_age: 86400"), "mx.example.org");
        c.success(sts);
        c.failure(sts, TlsRptResult.CERTIFICATE_EXPIRED, "mx.example.org", "192.0.2.25", "expired on 2026-11-01");
        c.failure(sts, TlsRptResult.CERTIFICATE_EXPIRED, "mx.example.org", "192.0.2.25", "expired on 2026-11-01");
        c.success(TlsRptCollector.Policy.none("plain.example"));
        c.flush();

        CliRun run = CliRun.of("tls-report", "--data-dir", data.toString(), "--date", "2026-11-30");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("Outbound TLS sessions on 2026-11-30 (UTC):")
                .containsPattern("example.org\\s+sts testing\\s+mx.example.org\\s+1\\s+2")
                .contains("    2 × certificate-expired  mx.example.org [192.0.2.25]: expired on 2026-11-01")
                .containsPattern("plain.example\\s+no-policy-found\\s+-\\s+1\\s+0")
                .contains("2 successful session(s), 2 failed.");
        CliRun json = CliRun.of("tls-report", "--data-dir", data.toString(), "--date", "2026-11-30", "--json");
        assertThat(json.out()).contains("\"policy-domain\" : \"example.org\"", "\"total-failure-session-count\" : 2",
                "\"result-type\" : \"certificate-expired\"");
    }

    @Test
    void aDayWithoutFiguresSaysSoAndABadDateIsAUsageError() {
        assertThat(CliRun.of("tls-report", "--data-dir", data.toString(), "--date", "2026-01-01").out())
                .startsWith("No outbound TLS sessions recorded for 2026-01-01 (UTC)");
        CliRun bad = CliRun.of("tls-report", "--data-dir", data.toString(), "--date", "yesterday");
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err()).contains("--date 'yesterday' is not YYYY-MM-DD");
    }

    @Test
    void tlsaRecordPrintsTheDaneEeRecordOfACertificateAsOpensslComputesIt() throws Exception {
        dev.posthorn.tls.TestPki.Issued cert = dev.posthorn.tls.TestPki.issue(dev.posthorn.tls.TestPki.ec(), null, false,
                "mx.example.org");
        Path pem = data.resolve("cert.pem");
        java.nio.file.Files.writeString(pem, dev.posthorn.tls.TestPki.certPem(cert.cert()));
        Process p = new ProcessBuilder("sh", "-c", "openssl x509 -in '" + pem + "' -noout -pubkey"
                + " | openssl pkey -pubin -outform DER | openssl dgst -sha256 | sed 's/^.* //'").start();
        String expected = new String(p.getInputStream().readAllBytes()).strip();
        assertThat(p.waitFor()).isZero();

        CliRun run = CliRun.of("tlsa-record", pem.toString());

        assertThat(run.exitCode()).isZero();
        assertThat(run.out().strip()).isEqualTo("_25._tcp.mx.example.org. IN TLSA 3 1 1 " + expected);
    }
}
