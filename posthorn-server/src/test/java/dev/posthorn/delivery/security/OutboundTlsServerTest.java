package dev.posthorn.delivery.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import dev.posthorn.cli.Main;
import dev.posthorn.config.PosthornConfig;
import dev.posthorn.delivery.fixtures.PolicyWebServer;
import dev.posthorn.delivery.fixtures.PostfixServer;
import dev.posthorn.delivery.fixtures.Ports;
import dev.posthorn.delivery.fixtures.SignedZone;
import dev.posthorn.delivery.fixtures.UnboundServer;
import dev.posthorn.server.PosthornServer;
import dev.posthorn.store.UserStore;
import dev.posthorn.tls.TestPki;
import dev.posthorn.testing.TestConfigs;
import jakarta.mail.BodyPart;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The whole server with DANE, MTA-STS and TLS reports on: a DANE deferral as {@code posthorn queue show} and the
 * bounce show it, and the daily TLS reports mailed to the {@code rua} of {@code _smtp._tls}, parsed back,
 * checked against the JSON Schema of RFC 8460 §4.4 and against the deliveries made.
 */
@Timeout(180)
class OutboundTlsServerTest {

    @TempDir
    static Path dir;
    static PostfixServer postfix;
    static UnboundServer dns;
    static PolicyWebServer web;
    static PosthornServer server;

    @BeforeAll
    static void start() throws Exception {
        TestPki.Issued ca = TestPki.issue(TestPki.ec(), null, true, "Posthorn Test CA");
        TestPki.Issued mxCert = TestPki.issue(TestPki.ec(), ca, false, "mx-bad.secure.test", "mx.enforce.sts.test");
        postfix = DanePeers.postfixWithCertificate(dir, "bad.secure.test testing.sts.test enforce.sts.test both.secure.test",
                mxCert, ca);
        TestPki.Issued webCert = TestPki.issue(TestPki.ec(), ca, false, "mta-sts.testing.sts.test",
                "mta-sts.enforce.sts.test", "mta-sts.both.secure.test");
        web = PolicyWebServer.start(webCert.keys().getPrivate(), webCert.cert(), ca.cert());
        web.policies.put("testing.sts.test", "version: STSv1\nmode: testing\nmx: mx-badcert.sts.test\nmax_age: 86400\n");
        web.policies.put("enforce.sts.test", "version: STSv1\nmode: enforce\nmx: mx.enforce.sts.test\nmax_age: 86400\n");
        // An enforce policy that does not list the domain's MX: only DANE's precedence lets mail through.
        web.policies.put("both.secure.test", "version: STSv1\nmode: enforce\nmx: elsewhere.example\nmax_age: 86400\n");
        SignedZone zone = SignedZone.sign(dir.resolve("zone"), "secure.test.", List.of(
                "bad.secure.test. IN MX 10 mx-bad.secure.test.", "mx-bad.secure.test. IN A 127.0.0.1",
                "_25._tcp.mx-bad.secure.test. IN TLSA 3 1 1 " + "00".repeat(32),
                "both.secure.test. IN MX 10 mx-both.secure.test.", "mx-both.secure.test. IN A 127.0.0.1",
                "_25._tcp.mx-both.secure.test. IN TLSA 3 1 1 " + DanePeers.spkiSha256(mxCert),
                "_mta-sts.both.secure.test. IN TXT \"v=STSv1; id=both1\"", "mta-sts.both.secure.test. IN A 127.0.0.1"),
                s -> s);
        List<String> data = new ArrayList<>();
        for (String d : List.of("testing", "enforce")) {
            String domain = d + ".sts.test.";
            String mx = d.equals("testing") ? "mx-badcert.sts.test." : "mx.enforce.sts.test.";
            data.addAll(List.of(domain + " MX 10 " + mx, mx + " A 127.0.0.1", "mta-sts." + domain + " A 127.0.0.1",
                    "_mta-sts." + domain + " TXT \"v=STSv1; id=" + d + "1\"",
                    "_smtp._tls." + domain + " TXT \"v=TLSRPTv1; rua=mailto:reports@posthorn.test,https://tlsrpt.example/\""));
        }
        dns = UnboundServer.start(Files.createDirectories(dir.resolve("dns")), List.of("sts.test."), data,
                Map.of("secure.test.", zone.signedFile()));
        Path caFile = dir.resolve("ca.pem");
        Files.writeString(caFile, TestPki.certPem(ca.cert()));

        PosthornConfig c = TestConfigs.onFreePorts(dir.resolve("data"));
        c.dns.servers = List.of(dns.address());
        c.queue.remotePort = postfix.port();
        c.queue.retryIntervalsSeconds = new ArrayList<>(List.of(1L));
        c.queue.giveUpAfterSeconds = 5;
        c.queue.delayNoticeAfterSeconds = 0;
        c.queue.connectTimeoutSeconds = 5;
        c.queue.commandTimeoutSeconds = 10;
        c.queue.maxMessagesPerConnection = 1; // one session per message: the report's counts are the deliveries'
        c.outboundTls.trustAnchorFile = zone.anchor().toString();
        c.outboundTls.mtaStsTrustStore = caFile.toString();
        c.outboundTls.mtaStsPort = web.port();
        c.outboundTls.tlsRpt = true;
        UserStore users = UserStore.open(dir.resolve("data"));
        for (String u : List.of("carol", "dave", "reports")) {
            users.add(u + "@posthorn.test", "secret-password".toCharArray());
        }
        server = PosthornServer.start(c);
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        for (AutoCloseable a : new AutoCloseable[] {web, dns, postfix}) {
            if (a != null) {
                a.close();
            }
        }
    }

    private static byte[] message(String from, String to, String subject) {
        return ("From: " + from + "\r\nTo: " + to + "\r\nSubject: " + subject + "\r\nMessage-ID: <" + subject
                + "@posthorn.test>\r\n\r\nHello.\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static List<String> mails(String user) throws Exception {
        Path box = dir.resolve("data/mail/posthorn.test/" + user + "/new");
        if (!Files.isDirectory(box)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(box)) {
            return files.sorted().map(p -> {
                try {
                    return Files.readString(p, StandardCharsets.UTF_8);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList();
        }
    }

    private static void await(String what, Duration limit, BooleanSupplier condition) throws InterruptedException {
        Instant deadline = Instant.now().plus(limit);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(50);
        }
    }

    private static String queueShow(String id) {
        StringWriter out = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(out, true));
        assertThat(cli.execute("queue", "show", id, "--data-dir", dir.resolve("data").toString())).isZero();
        return out.toString();
    }

    @Test
    void aTlsaMismatchIsShownByQueueShowAndExplainedInTheBounce() throws Exception {
        String id = server.enqueue("carol@posthorn.test", List.of("bob@bad.secure.test"),
                message("carol@posthorn.test", "bob@bad.secure.test", "dane-mismatch"));
        String[] shown = new String[1];
        await("queue show lists a DANE attempt", Duration.ofSeconds(30), () -> {
            try {
                shown[0] = queueShow(id);
            } catch (AssertionError gone) {
                return false;
            }
            return shown[0].contains("tls:");
        });
        assertThat(shown[0]).contains("deferred  via mx-bad.secure.test [127.0.0.1]:" + postfix.port(), "451 4.7.5 DANE (TLSA _25._tcp.mx-bad.secure.test 3 1 1 000000000000…): "
                + "the certificate of mx-bad.secure.test [127.0.0.1]:" + postfix.port() + " does not match: tlsa-invalid",
                "means: 4.7.5 Cryptographic Failure", "update the TLSA records",
                "tls:   dane (TLSA _25._tcp.mx-bad.secure.test 3 1 1 000000000000…), failed: tlsa-invalid");

        await("the bounce reaches carol", Duration.ofSeconds(60), () -> {
            try {
                return !mails("carol").isEmpty();
            } catch (Exception e) {
                return false;
            }
        });
        String bounce = mails("carol").get(0);
        assertThat(bounce).contains("Undelivered Mail Returned to Sender", "Posthorn could not deliver it:",
                "451 4.7.5 DANE (TLSA _25._tcp.mx-bad.secure.test", "update the TLSA records", "Status: 4.7.5",
                "Diagnostic-Code: x-posthorn; 451 4.7.5 DANE");
        // The refusal is Posthorn's own (RFC 3464 §2.3.6): not presented as mx-bad's SMTP reply.
        assertThat(bounce).doesNotContain("Remote-MTA:", "Diagnostic-Code: smtp;", "The server mx-bad");
        assertThat(postfix.log()).doesNotContain("from=<carol@posthorn.test>");
    }

    @Test
    void dailyTlsReportsAreMailedGzippedAndAgreeWithTheDeliveries() throws Exception {
        for (int i = 0; i < 2; i++) {
            server.enqueue("dave@posthorn.test", List.of("bob@testing.sts.test"),
                    message("dave@posthorn.test", "bob@testing.sts.test", "rpt-testing-" + i));
        }
        server.enqueue("dave@posthorn.test", List.of("bob@enforce.sts.test"),
                message("dave@posthorn.test", "bob@enforce.sts.test", "rpt-enforce"));
        for (String marker : List.of("rpt-testing-0", "rpt-testing-1", "rpt-enforce")) {
            postfix.awaitMessageContaining(marker, Duration.ofSeconds(60));
        }
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        assertThat(server.secureDelivery().sender().send(today)).isEqualTo(2);

        await("two reports reach reports@posthorn.test", Duration.ofSeconds(30), () -> {
            try {
                return mails("reports").size() >= 2;
            } catch (Exception e) {
                return false;
            }
        });
        JsonSchema schema;
        try (InputStream in = getClass().getResourceAsStream("/tlsrpt/rfc8460-report.schema.json")) {
            schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7).getSchema(in);
        }
        Map<String, JsonNode> reports = new java.util.HashMap<>();
        for (String mail : mails("reports")) {
            MimeMessage m = new MimeMessage(Session.getInstance(new Properties()),
                    new ByteArrayInputStream(mail.getBytes(StandardCharsets.UTF_8)));
            String domain = m.getHeader("TLS-Report-Domain", null);
            assertThat(m.getHeader("TLS-Report-Submitter", null)).isEqualTo("mx.posthorn.test");
            assertThat(m.getSubject()).startsWith("Report Domain: " + domain + " Submitter: mx.posthorn.test Report-ID: <");
            assertThat(m.getContentType()).contains("multipart/report", "report-type=\"tlsrpt\"");
            MimeMultipart parts = (MimeMultipart) m.getContent();
            BodyPart report = parts.getBodyPart(1);
            assertThat(report.getContentType()).startsWith("application/tlsrpt+gzip");
            assertThat(report.getFileName()).startsWith("mx.posthorn.test!" + domain + "!").endsWith(".json.gz");
            JsonNode json;
            try (InputStream gz = new GZIPInputStream(report.getInputStream())) {
                json = new ObjectMapper().readTree(gz);
            }
            assertThat(schema.validate(json)).as(json.toPrettyString()).isEmpty();
            reports.put(domain, json);
        }
        assertThat(reports).containsOnlyKeys("testing.sts.test", "enforce.sts.test");

        JsonNode testing = reports.get("testing.sts.test");
        assertThat(testing.get("date-range").get("start-datetime").asText()).isEqualTo(today + "T00:00:00Z");
        assertThat(testing.get("policies")).hasSize(1);
        JsonNode policy = testing.get("policies").get(0);
        assertThat(policy.at("/policy/policy-type").asText()).isEqualTo("sts");
        assertThat(policy.at("/policy/policy-string").toString()).contains("mode: testing", "mx: mx-badcert.sts.test");
        assertThat(policy.at("/summary/total-successful-session-count").asLong()).isZero();
        assertThat(policy.at("/summary/total-failure-session-count").asLong()).isEqualTo(2);
        assertThat(policy.get("failure-details")).hasSize(1);
        assertThat(policy.at("/failure-details/0/result-type").asText()).isEqualTo("certificate-host-mismatch");
        assertThat(policy.at("/failure-details/0/receiving-mx-hostname").asText()).isEqualTo("mx-badcert.sts.test");
        assertThat(policy.at("/failure-details/0/receiving-ip").asText()).isEqualTo("127.0.0.1");
        assertThat(policy.at("/failure-details/0/failed-session-count").asLong()).isEqualTo(2);

        JsonNode enforce = reports.get("enforce.sts.test").get("policies").get(0);
        assertThat(enforce.at("/policy/policy-string").toString()).contains("mode: enforce");
        assertThat(enforce.at("/summary/total-successful-session-count").asLong()).isEqualTo(1);
        assertThat(enforce.at("/summary/total-failure-session-count").asLong()).isZero();
        assertThat(enforce.has("failure-details")).isFalse();
    }

    @Test
    void daneTakesPrecedenceOverAnMtaStsPolicyForTheSameHost() throws Exception {
        server.enqueue("dave@posthorn.test", List.of("bob@both.secure.test"),
                message("dave@posthorn.test", "bob@both.secure.test", "both-dane-sts"));

        postfix.awaitMessageContaining("both-dane-sts", Duration.ofSeconds(60));
        // RFC 8461 §2: the host's TLSA records decide, so the policy's mx list (which omits it) does not apply;
        // the MTA-STS policy was still fetched: it is the domain's, and would rule hosts without TLSA.
        assertThat(web.requests).contains("mta-sts.both.secure.test");
        TlsRptCollector.PolicyFigures figures = server.secureDelivery().collector().day(LocalDate.now(ZoneOffset.UTC))
                .policies.stream().filter(p -> p.domain.equals("both.secure.test")).findFirst().orElseThrow();
        assertThat(figures.type).isEqualTo("tlsa");
        assertThat(figures.successes).isEqualTo(1);
    }
}
