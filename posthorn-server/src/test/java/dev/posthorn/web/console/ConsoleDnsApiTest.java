package dev.posthorn.web.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import dev.posthorn.config.PosthornConfig;
import dev.posthorn.server.PosthornServer;
import dev.posthorn.server.Version;
import dev.posthorn.testing.TestConfigs;
import dev.posthorn.web.ReferenceSite;
import dev.posthorn.web.WebServer;
import dev.posthorn.web.WebSettings;
import java.net.DatagramSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /api/v1/domains/{domain}/dns} against zones served by a real DNS server on loopback: the records a
 * domain must publish, exactly, and per record what DNS has (in order for good.test; wrong or missing for
 * bad.test), valid against the OpenAPI document's schema; refused without an administrator's token; and within
 * a bounded time, as temporary failures, when the resolver never answers.
 */
@Timeout(120)
class ConsoleDnsApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private DnsZones zones;
    private PosthornServer server;
    private WebServer web;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private String start(java.util.function.Consumer<PosthornConfig> dns) throws Exception {
        zones = DnsZones.start(dir.resolve("data"), dir.resolve("dns"));
        PosthornConfig c = TestConfigs.onFreePorts(dir.resolve("data"));
        zones.configure(c);
        dns.accept(c);
        server = PosthornServer.start(c);
        server.store().directory().add(DnsZones.ADMIN, "admin password".toCharArray(), true);
        web = ReferenceSite.start(WebSettings.ephemeral(), server, Version.current(), "loopback");
        return server.store().directory().createToken(DnsZones.ADMIN, "dns test", null).secret();
    }

    @AfterEach
    void stop() {
        if (web != null) {
            web.close();
        }
        if (server != null) {
            server.close();
        }
        if (zones != null) {
            zones.close();
        }
    }

    @Test
    void theRecordsToPublishAndTheCheckOfEachAreGivenAsTheDocumentSays() throws Exception {
        String token = start(c -> { });
        HttpResponse<String> good = get("/api/v1/domains/good.test/dns", token);
        assertThat(good.statusCode()).as(good.body()).isEqualTo(200);
        JsonNode doc = JSON.readTree(get("/api/v1/openapi.json", null).body());
        ObjectNode schema = doc.at("/paths/~1api~1v1~1domains~1{domain}~1dns/get/responses/200/content/"
                + "application~1json/schema").deepCopy();
        assertThat(schema.isEmpty()).as("the operation is documented").isFalse();
        schema.set("components", doc.get("components"));
        var validator = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(schema);
        JsonNode body = JSON.readTree(good.body());
        assertThat(validator.validate(body)).isEmpty();

        assertThat(body.get("host").asText()).isEqualTo(DnsZones.HOST);
        assertThat(values(body.get("records"))).containsExactly(
                "good.test MX 10 mx.posthorn.test.",
                "good.test TXT v=spf1 mx -all",
                "g1._domainkey.good.test TXT " + zones.goodKey.txtRecord(),
                "_dmarc.good.test TXT v=DMARC1; p=none; rua=mailto:postmaster@good.test",
                "1.0.0.127.in-addr.arpa PTR mx.posthorn.test.");
        JsonNode dkim = body.get("records").get(2);
        assertThat(dkim.get("strings").size()).isGreaterThan(1);
        dkim.get("strings").forEach(s -> assertThat(s.asText().length()).isLessThanOrEqualTo(255));
        assertThat(findings(body)).containsExactly("MX ok", "SPF ok", "DKIM g1 ok", "DMARC ok", "PTR 127.0.0.1 ok");
        assertThat(body.get("problems").asInt()).isZero();
        assertThat(body.get("summary").asText()).isEqualTo("All records of good.test are in order.");

        JsonNode bad = JSON.readTree(get("/api/v1/domains/bad.test/dns", token).body());
        assertThat(validator.validate(bad)).isEmpty();
        assertThat(findings(bad)).containsExactly("MX wrong", "SPF missing", "DKIM b1 missing", "DMARC missing",
                "PTR 127.0.0.1 ok");
        assertThat(bad.get("findings").get(0).get("explanation").asText())
                .isEqualTo("The MX records of bad.test name mail.elsewhere.test, not this server (mx.posthorn.test).");
        assertThat(bad.get("summary").asText()).isEqualTo("Records of bad.test to fix: 4.");

        assertThat(get("/api/v1/domains/other.test/dns", token).statusCode()).isEqualTo(404);
        assertThat(get("/api/v1/domains/good.test/dns", null).statusCode()).isEqualTo(401);
        server.store().directory().add("user@good.test", "user password".toCharArray(), false);
        String userToken = server.store().directory().createToken("user@good.test", "not an admin", null).secret();
        HttpResponse<String> refused = get("/api/v1/domains/good.test/dns", userToken);
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(refused.body()).doesNotContain("good.test MX");
    }

    @Test
    void aResolverThatNeverAnswersGivesTemporaryFailuresWithinTheDeadline() throws Exception {
        try (DatagramSocket silent = DnsZones.silentResolver()) {
            String token = start(c -> {
                c.dns.servers = new ArrayList<>(List.of("127.0.0.1:" + silent.getLocalPort()));
                c.dns.timeoutSeconds = 30;
            });
            long began = System.nanoTime();
            HttpResponse<String> answer = get("/api/v1/domains/good.test/dns", token);
            Duration took = Duration.ofNanos(System.nanoTime() - began);
            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(took).as("bounded by the deadline, not the resolver's 30 s").isLessThan(
                    DomainDns.DEADLINE.plusSeconds(3));
            JsonNode body = JSON.readTree(answer.body());
            assertThat(findings(body)).containsExactly("MX temporary", "SPF temporary", "DKIM g1 temporary",
                    "DMARC temporary", "PTR temporary");
            assertThat(body.get("findings").get(0).get("explanation").asText()).startsWith("Looking up good.test failed (");
        }
    }

    private static List<String> values(JsonNode records) {
        return StreamSupport.stream(records.spliterator(), false).map(r -> r.get("name").asText() + " "
                + r.get("type").asText() + " " + r.get("value").asText()).toList();
    }

    private static List<String> findings(JsonNode body) {
        return StreamSupport.stream(body.get("findings").spliterator(), false)
                .map(f -> f.get("record").asText() + " " + f.get("status").asText()).toList();
    }

    private HttpResponse<String> get(String path, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + web.port() + path))
                .timeout(Duration.ofSeconds(30)).GET();
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

}
