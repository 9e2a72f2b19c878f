package dev.posthorn.web.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A resolver that never answers: every finding of the domain is a temporary failure (the PTR one included), and the
 * advice does not tell the operator to publish A and AAAA records that may well exist; it says the PTR records
 * cannot be determined yet.
 */
@Timeout(120)
class ConsoleDnsDeadResolverTest {

    @TempDir
    Path dir;

    @Test
    void aDeadResolverGivesNoAdviceToPublishAddresses() throws Exception {
        try (DnsZones zones = DnsZones.start(dir.resolve("data"), dir.resolve("dns"));
                DatagramSocket silent = DnsZones.silentResolver()) {
            PosthornConfig c = TestConfigs.onFreePorts(dir.resolve("data"));
            zones.configure(c);
            c.dns.servers = new ArrayList<>(List.of("127.0.0.1:" + silent.getLocalPort()));
            c.dns.timeoutSeconds = 30;
            try (PosthornServer server = PosthornServer.start(c)) {
                server.store().directory().add(DnsZones.ADMIN, "admin password".toCharArray(), true);
                WebServer web = ReferenceSite.start(WebSettings.ephemeral(), server, Version.current(), "loopback");
                try {
                    String token = server.store().directory().createToken(DnsZones.ADMIN, "t", null).secret();
                    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + web.port() + "/api/v1/domains/good.test/dns"))
                            .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(30)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    JsonNode body = new ObjectMapper().readTree(r.body());
                    assertThat(r.statusCode()).isEqualTo(200);
                    assertThat(body.get("findings").findValuesAsText("status")).containsOnly("temporary");
                    // The host's address is unknown, not absent: no advice to publish records that may exist.
                    assertThat(body.get("advice").toString()).doesNotContain("has no address in DNS");
                    assertThat(body.get("advice").toString()).contains("could not be looked up",
                            "cannot be determined yet");
                    assertThat(body.get("findings").findValuesAsText("record")).contains("PTR");
                    // Nothing could be checked: no record is said to need fixing, each is counted as unchecked.
                    assertThat(body.get("problems").asInt()).isZero();
                    assertThat(body.get("unchecked").asInt()).isEqualTo(body.get("findings").size()).isPositive();
                    assertThat(body.get("summary").asText()).isEqualTo("Records of good.test that could not be "
                            + "checked: " + body.get("findings").size() + ".");
                } finally {
                    web.close();
                }
            }
        }
    }

    /** A domain whose DKIM key cannot be read here: a local error of its own, not a DNS answer. */
    @Test
    void anUnreadableDkimKeyIsALocalErrorNotADnsFailure() throws Exception {
        try (DnsZones zones = DnsZones.start(dir.resolve("data"), dir.resolve("dns"))) {
            PosthornConfig c = TestConfigs.onFreePorts(dir.resolve("data"));
            zones.configure(c);
            try (PosthornServer server = PosthornServer.start(c)) {
                server.store().directory().add(DnsZones.ADMIN, "admin password".toCharArray(), true);
                java.nio.file.Files.writeString(dir.resolve("data/dkim/good.test/broken.rsa.pem"), "not a key\n");
                WebServer web = ReferenceSite.start(WebSettings.ephemeral(), server, Version.current(), "loopback");
                try {
                    String token = server.store().directory().createToken(DnsZones.ADMIN, "t", null).secret();
                    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + web.port() + "/api/v1/domains/good.test/dns"))
                            .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(30)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertThat(r.statusCode()).isEqualTo(200);
                    JsonNode finding = new ObjectMapper().readTree(r.body()).get("findings").get(0);
                    assertThat(finding.get("phrase").asText()).as(r.body()).isEqualTo("dns.check.localError");
                    assertThat(finding.get("record").asText()).isNotEqualTo("DNS");
                    assertThat(finding.get("explanation").asText()).contains("a local error, not an answer from DNS");
                } finally {
                    web.close();
                }
            }
        }
    }
}
