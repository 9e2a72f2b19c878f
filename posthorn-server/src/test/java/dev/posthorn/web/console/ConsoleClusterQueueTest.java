package dev.posthorn.web.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.posthorn.config.PosthornConfig;
import dev.posthorn.delivery.fixtures.ScriptedSmtpPeer;
import dev.posthorn.queue.PgQueueAdmin;
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
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes on one PostgreSQL queue: a message node A tried and a refusing peer deferred is in node B's console
 * API, with its timeline (the peer's reply), though B never claimed it; and B's hold, release, retry and delete
 * change the shared row, as {@code posthorn queue} does there: held in the database, delivered by the cluster
 * once retried, gone when deleted. The console's pages on B list it and show its timeline, and their form holds it.
 */
@Timeout(120)
class ConsoleClusterQueueTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ADMIN = "admin@posthorn.test";
    private static final String REFUSAL = "450 4.2.1 Mailbox busy, try again later";

    @TempDir
    Path dir;
    private ScriptedSmtpPeer peer;
    private RunningServer nodeA;
    private RunningServer nodeB;
    private WebServer webB;
    private StoreConfig store;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @AfterEach
    void stop() throws Exception {
        if (webB != null) {
            webB.close();
        }
        if (nodeB != null) {
            nodeB.close();
        }
        if (nodeA != null) {
            nodeA.close();
        }
        if (peer != null) {
            peer.close();
        }
    }

    @Test
    void nodeBsConsoleSeesAndActsOnAMessageNodeADeferred() throws Exception {
        peer = ScriptedSmtpPeer.start();
        peer.rcptReplies.put("someone@remote.test", REFUSAL);
        peer.rcptReplies.put("other@remote.test", REFUSAL);
        store = PostgresServer.shared().newStoreConfig();
        Consumer<PosthornConfig> shared = c -> {
            c.store = store;
            c.routes.put("remote.test", "127.0.0.1:" + peer.port());
            // The next attempt is an hour away: only the operator's retry brings it sooner.
            c.queue.retryIntervalsSeconds = new ArrayList<>(List.of(3600L));
            c.queue.connectTimeoutSeconds = 2;
            c.queue.commandTimeoutSeconds = 5;
        };
        nodeA = RunningServer.start(dir.resolve("a"), shared);
        String id = nodeA.server().enqueue("sender@posthorn.test", List.of("someone@remote.test"),
                "Subject: stuck\r\n\r\nwaiting\r\n".getBytes(StandardCharsets.US_ASCII));
        String other = nodeA.server().enqueue("sender@posthorn.test", List.of("other@remote.test"),
                "Subject: to delete\r\n\r\nwaiting\r\n".getBytes(StandardCharsets.US_ASCII));
        await(() -> deferred(id) && deferred(other), "node A's attempts, deferred by the peer");
        // Node B starts after: the messages are not due for an hour, so B never claims them.
        nodeB = RunningServer.start(dir.resolve("b"), shared);
        nodeB.server().store().directory().add(ADMIN, "admin password".toCharArray(), true);
        webB = ReferenceSite.start(WebSettings.ephemeral(), nodeB.server(), Version.current(), "loopback");
        String token = nodeB.server().store().directory().createToken(ADMIN, "cluster test", null).secret();
        assertThat(nodeB.server().queue().get(id)).as("node B holds no claim on it").isNull();

        JsonNode list = JSON.readTree(call("GET", "/api/v1/queue", null, token).body());
        assertThat(list.get("total").asInt()).isEqualTo(2);
        assertThat(list.get("messages").findValuesAsText("id")).containsExactly(id, other);
        assertThat(list.get("messages").get(0).get("state").asText()).isEqualTo("deferred");
        JsonNode filtered = JSON.readTree(call("GET", "/api/v1/queue?state=deferred&recipient=someone@remote.test",
                null, token).body());
        assertThat(filtered.get("messages").findValuesAsText("id")).containsExactly(id);

        HttpResponse<String> shown = call("GET", "/api/v1/queue/" + id, null, token);
        assertThat(shown.statusCode()).isEqualTo(200);
        JsonNode attempt = JSON.readTree(shown.body()).get("recipient_states").get(0).get("attempts").get(0);
        assertThat(attempt.get("outcome").asText()).isEqualTo("deferred");
        assertThat(attempt.get("code").asInt()).isEqualTo(450);
        assertThat(attempt.get("enhanced_code").asText()).isEqualTo("4.2.1");
        assertThat(attempt.get("destination").asText()).isEqualTo("route:127.0.0.1:" + peer.port());
        assertThat(attempt.get("explanation").asText()).isNotBlank();

        // The console's pages on B: the same queue, and its form's hold reaches the shared row.
        HttpClient browser = HttpClient.newBuilder().cookieHandler(new java.net.CookieManager()).build();
        String loginToken = csrfOf(page(browser, "GET", "/admin/login", null).body());
        assertThat(page(browser, "POST", "/admin/login", "csrf=" + loginToken + "&user=admin%40posthorn.test"
                + "&password=admin+password").statusCode()).isEqualTo(303);
        String queuePage = page(browser, "GET", "/admin/queue", null).body();
        assertThat(queuePage).contains(id, other, "someone@remote.test", "450 4.2.1");
        HttpResponse<String> timeline = page(browser, "GET", "/admin/queue/" + id, null);
        assertThat(timeline.statusCode()).isEqualTo(200);
        assertThat(timeline.body()).contains("id=\"state\">deferred<", "Mailbox busy, try again later");
        HttpResponse<String> holdForm = page(browser, "POST", "/admin/queue/actions",
                "csrf=" + csrfOf(timeline.body()) + "&verb=hold&id=" + id + "&back=message");
        assertThat(holdForm.statusCode()).isEqualTo(303);
        assertThat(holdForm.headers().firstValue("location")).hasValue("/admin/queue/" + id + "?done=hold&count=1");
        assertThat(held(id)).as("the hold is the shared row's").isTrue();
        assertThat(JSON.readTree(call("GET", "/api/v1/queue/" + id, null, token).body()).get("state").asText())
                .isEqualTo("held");

        assertThat(action("release", id, token).get("changed").get(0).asText()).isEqualTo(id);
        assertThat(held(id)).isFalse();
        peer.rcptReplies.remove("someone@remote.test");
        assertThat(action("retry", id, token).get("changed").get(0).asText()).isEqualTo(id);
        ScriptedSmtpPeer.Received got = peer.take(Duration.ofSeconds(20));
        assertThat(got).as("the retried message reached the fixed peer").isNotNull();
        assertThat(got.rcptTo()).containsExactly("someone@remote.test");
        await(() -> rows(id) == 0, "the delivered message's row to go");
        // Exactly once: neither node attempts it again (no second copy within a few seconds of the first).
        assertThat(peer.received.poll(3, java.util.concurrent.TimeUnit.SECONDS)).as("a second copy").isNull();
        assertThat(call("GET", "/api/v1/queue/" + id, null, token).statusCode()).isEqualTo(404);

        JsonNode deleted = action("delete", other, token);
        assertThat(deleted.get("changed").get(0).asText()).isEqualTo(other);
        assertThat(rows(other)).as("the row is gone from the shared queue").isZero();
        assertThat(JSON.readTree(call("GET", "/api/v1/queue", null, token).body()).get("total").asInt()).isZero();
        assertThat(action("hold", other, token).get("unknown").get(0).asText()).isEqualTo(other);
    }

    private JsonNode action(String verb, String id, String token) throws Exception {
        HttpResponse<String> response = call("POST", "/api/v1/queue/actions",
                "{\"verb\":\"" + verb + "\",\"ids\":[\"" + id + "\"]}", token);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private boolean deferred(String id) {
        QueueView view = PgQueueAdmin.view(nodeA.server().store().database().orElseThrow(), id);
        return !view.messages().isEmpty() && view.messages().get(0).state().recipients.get(0).attemptsMade() > 0;
    }

    private boolean held(String id) throws Exception {
        try (Connection c = PostgresServer.shared().connect(store.url);
                PreparedStatement s = c.prepareStatement("SELECT held FROM queue_messages WHERE id = ?")) {
            s.setString(1, id);
            try (ResultSet r = s.executeQuery()) {
                assertThat(r.next()).as("row " + id).isTrue();
                return r.getBoolean(1);
            }
        }
    }

    private long rows(String id) {
        try (Connection c = PostgresServer.shared().connect(store.url);
                PreparedStatement s = c.prepareStatement("SELECT count(*) FROM queue_messages WHERE id = ?")) {
            s.setString(1, id);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private HttpResponse<String> call(String method, String path, String body, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + webB.port() + path))
                .timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body))
                .header("Authorization", "Bearer " + token);
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> page(HttpClient browser, String method, String path, String form) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + webB.port() + path))
                .timeout(Duration.ofSeconds(10));
        if (form == null) {
            request.GET();
        } else {
            request.header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(form));
        }
        return browser.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String csrfOf(String html) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"").matcher(html);
        assertThat(m.find()).as("a csrf field in the page").isTrue();
        return m.group(1);
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(100);
        }
    }
}
