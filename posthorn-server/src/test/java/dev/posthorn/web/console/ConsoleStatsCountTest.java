package dev.posthorn.web.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.posthorn.queue.QueueView;
import dev.posthorn.server.Version;
import dev.posthorn.store.StoreConfig;
import dev.posthorn.testing.PostgresServer;
import dev.posthorn.testing.RunningServer;
import dev.posthorn.web.ReferenceSite;
import dev.posthorn.web.WebServer;
import dev.posthorn.web.WebSettings;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * GET /api/v1/stats counts every message of the shared queue by state, however many: a backlog of more than
 * {@link QueueView#MAX_MESSAGES} (the listing's cap) is counted exactly, by the database.
 */
@Timeout(120)
class ConsoleStatsCountTest {

    @TempDir
    Path dir;

    @Test
    void statsCountEveryMessageOfABacklogLargerThanTheListing() throws Exception {
        StoreConfig store = PostgresServer.shared().newStoreConfig();
        try (RunningServer node = RunningServer.start(dir.resolve("a"), c -> {
            c.store = store;
            c.routes.put("remote.test", "127.0.0.1:9"); // nothing listens: deferred
            c.queue.retryIntervalsSeconds = new ArrayList<>(List.of(3600L));
        })) {
            String id = node.server().enqueue("sender@posthorn.test", List.of("someone@remote.test"),
                    "Subject: x\r\n\r\ny\r\n".getBytes(StandardCharsets.US_ASCII));
            try (Connection c = PostgresServer.shared().connect(store.url); Statement s = c.createStatement()) {
                // 10,000 more rows an operator has held, copies of the first: 10,001 messages in the queue.
                s.executeUpdate("INSERT INTO queue_messages (id, received_at, accepted_by, envelope, size, chunks,"
                        + " state, held, next_due) SELECT id || '-' || g, received_at, accepted_by, envelope, size,"
                        + " chunks, state, true, next_due FROM queue_messages, generate_series(1, 10000) g"
                        + " WHERE id = '" + id + "'");
            }
            node.server().store().directory().add("admin@posthorn.test", "pw".toCharArray(), true);
            String token = node.server().store().directory().createToken("admin@posthorn.test", "t", null).secret();
            WebServer web = ReferenceSite.start(WebSettings.ephemeral(), node.server(), Version.current(), "loopback");
            try {
                HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + web.port() + "/api/v1/stats"))
                        .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(60)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
                JsonNode queue = new ObjectMapper().readTree(r.body()).get("queue");
                assertThat(queue.get("held").asInt()).isEqualTo(10_000);
                int sum = 0;
                for (JsonNode n : queue) {
                    sum += n.asInt();
                }
                assertThat(sum).as(queue.toString()).isEqualTo(10_001);
            } finally {
                web.close();
            }
        }
    }
}
