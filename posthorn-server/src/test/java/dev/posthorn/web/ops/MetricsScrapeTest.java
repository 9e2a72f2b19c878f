package dev.posthorn.web.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.codes.Catalogue;
import dev.posthorn.server.Version;
import dev.posthorn.smtp.protocol.ListenerRole;
import dev.posthorn.testing.Logins;
import dev.posthorn.testing.RunningServer;
import dev.posthorn.testing.SmtpWire;
import dev.posthorn.web.ReferenceSite;
import dev.posthorn.web.WebServer;
import dev.posthorn.web.WebSettings;
import dev.posthorn.web.http.ConcurrencyLimit;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /metrics} scraped before and after real SMTP traffic, each scrape read by Prometheus' own text-format
 * parser: two messages accepted, a recipient refused, a syntax error in MAIL, a wrong password; every counter
 * moves by exactly what was sent, and nothing else is counted twice.
 */
class MetricsScrapeTest {

    @TempDir
    Path dir;

    private RunningServer server;
    private WebServer web;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() throws Exception {
        server = RunningServer.start(dir);
        web = ReferenceSite.builder(WebSettings.ephemeral(), Version.current()).explains(new ConcurrencyLimit(1, 1))
                .modules(List.of(new OperationsEndpoints(server.server()))).start();
    }

    @AfterEach
    void stop() {
        if (web != null) {
            web.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(web.url().resolve(path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private PrometheusText scrape() throws Exception {
        HttpResponse<String> response = get("/metrics");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue(OperationsEndpoints.PROMETHEUS_TEXT);
        return PrometheusText.parse(response.body());
    }

    @Test
    void countersMoveByExactlyWhatWasSentAndRefused() throws Exception {
        PrometheusText before = scrape();
        String first = "Subject: one\r\n\r\nfirst message\r\n";
        String second = "Subject: two\r\n\r\nthe second message, a little longer\r\n";
        int mx = server.mxPort();
        try (SmtpWire wire = SmtpWire.connect(mx)) {
            assertThat(wire.reply()).startsWith("220 ");
            assertThat(wire.command("EHLO client.test")).startsWith("250");
            send(wire, first);
            assertThat(wire.command("RSET")).startsWith("250 ");
            send(wire, second);
            assertThat(wire.command("MAIL FROM:<sender@client.test>")).startsWith("250 ");
            assertThat(wire.command("RCPT TO:<nobody@posthorn.test>")).startsWith("550 5.1.1 ");
            assertThat(wire.command("RSET")).startsWith("250 ");
            assertThat(wire.command("MAIL FROM:<no closing bracket")).startsWith("501 5.1.7 ");
            assertThat(wire.command("QUIT")).startsWith("221 ");
        }
        assertThat(Logins.plain(server.port(ListenerRole.SUBMISSIONS), "postmaster@posthorn.test", "wrong"))
                .isEqualTo(Logins.INVALID);
        server.awaitMessages("postmaster@posthorn.test", 2, 10_000);
        PrometheusText after = awaitDeliveriesCounted(before, 2);

        Map<String, String> mxPort = Map.of("port", "mx");
        assertThat(delta(before, after, "posthorn_connections_total", mxPort)).isEqualTo(1);
        assertThat(delta(before, after, "posthorn_connections_total", Map.of("port", "submissions"))).isEqualTo(1);
        assertThat(delta(before, after, "posthorn_messages_accepted_total", mxPort)).isEqualTo(2);
        assertThat(delta(before, after, "posthorn_received_bytes_total", mxPort))
                .isEqualTo(first.getBytes(StandardCharsets.US_ASCII).length + second.getBytes(StandardCharsets.US_ASCII).length);
        assertThat(delta(before, after, "posthorn_acceptance_seconds_count", mxPort)).isEqualTo(2);
        assertThat(delta(before, after, "posthorn_acceptance_seconds_bucket", Map.of("port", "mx", "le", "+Inf")))
                .isEqualTo(2);

        // The refusals, by code, enhanced code and the catalogue's title of it.
        String unknownUser = Catalogue.load("en").find("5.1.1").orElseThrow().text().title();
        assertThat(delta(before, after, "posthorn_messages_rejected_total",
                Map.of("port", "mx", "code", "550", "enhanced_code", "5.1.1", "meaning", unknownUser))).isEqualTo(1);
        assertThat(delta(before, after, "posthorn_messages_rejected_total",
                Map.of("port", "mx", "code", "501", "enhanced_code", "5.1.7"))).isEqualTo(1);
        assertThat(delta(before, after, "posthorn_messages_rejected_total", mxPort)).isEqualTo(2);
        assertThat(delta(before, after, "posthorn_messages_rejected_total", Map.of("port", "submissions"))).isZero();

        // Every reply by the command it answered: greeting, EHLO, 2x(MAIL, RCPT, DATA 354 + 250), RSETs, QUIT.
        assertThat(delta(before, after, "posthorn_smtp_replies_total", Map.of("port", "mx", "command", "CONNECT",
                "code", "220"))).isEqualTo(1);
        assertThat(delta(before, after, "posthorn_smtp_replies_total", Map.of("port", "mx", "command", "DATA",
                "code", "354"))).isEqualTo(2);
        assertThat(delta(before, after, "posthorn_smtp_replies_total", Map.of("port", "mx", "command", "DATA",
                "code", "250", "enhanced_code", "2.0.0"))).isEqualTo(2);
        assertThat(delta(before, after, "posthorn_smtp_replies_total", Map.of("port", "mx", "command", "RCPT",
                "code", "550", "enhanced_code", "5.1.1"))).isEqualTo(1);
        assertThat(delta(before, after, "posthorn_smtp_replies_total", mxPort)).isEqualTo(1 + 1 + 4 * 2 + 2 + 2 + 1 + 1);

        assertThat(delta(before, after, "posthorn_auth_failures_total", Map.of("port", "submissions"))).isEqualTo(1);
        assertThat(delta(before, after, "posthorn_tls_sessions_total", Map.of("port", "submissions"))).isEqualTo(1);

        assertThat(delta(before, after, "posthorn_delivery_attempts_total",
                Map.of("transport", "maildir", "result", "delivered"))).isEqualTo(2);
        assertThat(delta(before, after, "posthorn_delivery_delay_seconds_count", Map.of("stage", "delivered")))
                .isEqualTo(2);
        assertThat(delta(before, after, "posthorn_delivery_delay_seconds_count", Map.of("stage", "first_attempt")))
                .isEqualTo(2);
        assertThat(after.sum("posthorn_spool_journal_syncs_total", Map.of())).isPositive();
        assertThat(after.sum("posthorn_spool_journal_records_total", Map.of()))
                .isGreaterThanOrEqualTo(after.sum("posthorn_spool_journal_syncs_total", Map.of()));
        assertThat(after.sum("posthorn_connections_active", mxPort)).isZero();

        assertThat(after.type("posthorn_messages_rejected")).isEqualTo("counter");
        assertThat(after.type("posthorn_acceptance_seconds")).isEqualTo("histogram");
        assertThat(after.type("posthorn_queue_messages")).isEqualTo("gauge");
    }

    @Test
    void queueGaugesCountWaitingMessagesAndTheirAge() throws Exception {
        // Remote mail goes to a smarthost that refuses connections (RunningServer): it waits, deferred.
        server.server().enqueue("sender@posthorn.test", List.of("someone@remote.test"),
                "Subject: waits\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        PrometheusText scrape = scrape();
        while (scrape.sum("posthorn_queue_messages", Map.of("state", "deferred")) != 1 && System.nanoTime() < deadline) {
            Thread.sleep(100);
            scrape = scrape();
        }
        assertThat(scrape.sum("posthorn_queue_messages", Map.of("state", "deferred"))).isEqualTo(1);
        assertThat(scrape.sum("posthorn_queue_messages", Map.of())).isEqualTo(1);
        assertThat(scrape.sum("posthorn_delivery_attempts_total", Map.of("transport", "relay", "result", "deferred")))
                .isEqualTo(1);
        assertThat(scrape.sum("posthorn_queue_oldest_age_seconds", Map.of())).isGreaterThanOrEqualTo(0);
        assertThat(scrape.named("posthorn_queue_oldest_age_seconds")).hasSize(1);
    }

    @Test
    void healthSaysLiveAndReadyWhileTheServerTakesMail() throws Exception {
        HttpResponse<String> live = get("/health/live");
        assertThat(live.statusCode()).isEqualTo(200);
        HttpResponse<String> ready = get("/health/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).contains("\"status\":\"ready\"", "\"listeners\":true", "\"spool\":true",
                "\"disk\":true");
    }

    @Test
    void notReadyOnceTheListenersAreClosed() throws Exception {
        server.server().listeners().forEach(l -> l.close());
        HttpResponse<String> ready = get("/health/ready");
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(ready.body()).contains("\"listeners\":false");
        assertThat(get("/health/live").statusCode()).isEqualTo(200);
    }

    private static void send(SmtpWire wire, String message) throws Exception {
        assertThat(wire.command("MAIL FROM:<sender@client.test>")).startsWith("250 ");
        assertThat(wire.command("RCPT TO:<postmaster@posthorn.test>")).startsWith("250 ");
        assertThat(wire.command("DATA")).startsWith("354 ");
        assertThat(wire.command(message + ".")).startsWith("250 2.0.0 ");
    }

    /** Deliveries are counted when the scheduler records them, just after the files appear: wait for that. */
    private PrometheusText awaitDeliveriesCounted(PrometheusText before, int count) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        Map<String, String> delivered = Map.of("transport", "maildir", "result", "delivered");
        PrometheusText after = scrape();
        while (delta(before, after, "posthorn_delivery_attempts_total", delivered) < count
                && System.nanoTime() < deadline) {
            Thread.sleep(50);
            after = scrape();
        }
        return after;
    }

    private static double delta(PrometheusText before, PrometheusText after, String name, Map<String, String> labels) {
        return after.sum(name, labels) - before.sum(name, labels);
    }
}
