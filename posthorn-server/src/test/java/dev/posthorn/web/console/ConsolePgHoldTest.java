package dev.posthorn.web.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.config.PosthornConfig;
import dev.posthorn.delivery.fixtures.ScriptedSmtpPeer;
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
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * On PostgreSQL, a hold from the console's API of a message a node has claimed, its job waiting in the
 * destination's lane behind a slow delivery: answered "changed", and the message is then never delivered (the
 * claiming node gives its job back), whether the hold comes through that node or through another one. The lease
 * is a minute: its renewal (every 20 s) is not what stops the attempt.
 */
@Timeout(120)
class ConsolePgHoldTest {

    private static final String ADMIN = "admin@posthorn.test";

    @TempDir
    Path dir;

    @Test
    void aMessageThisNodeClaimedIsNotDeliveredOnceHeldInItsConsole() throws Exception {
        heldWhileQueuedBehindASlowDelivery(false);
    }

    @Test
    void aMessageAnotherNodeClaimedIsNotDeliveredOnceHeldInThisNodesConsole() throws Exception {
        heldWhileQueuedBehindASlowDelivery(true);
    }

    private void heldWhileQueuedBehindASlowDelivery(boolean throughOtherNode) throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.start()) {
            peer.replyDelay = Duration.ofMillis(500); // the first transaction takes a few seconds
            StoreConfig store = PostgresServer.shared().newStoreConfig();
            store.leaseSeconds = 60;
            Consumer<PosthornConfig> config = c -> {
                c.store = store;
                c.routes.put("remote.test", "127.0.0.1:" + peer.port());
                c.queue.maxConnectionsPerDestination = 1;
            };
            // Node B (when the hold goes through another node) runs before the messages come, and polls for work
            // once an hour: node A, which accepted them, claims them; B only answers the console.
            StoreConfig rarelyPolling = copy(store);
            rarelyPolling.pollMillis = 3_600_000;
            RunningServer other = throughOtherNode
                    ? RunningServer.start(dir.resolve("b"), config.andThen(c -> c.store = rarelyPolling)) : null;
            try (RunningServer node = RunningServer.start(dir.resolve("a"), config)) {
                String first = node.server().enqueue("sender@posthorn.test", List.of("someone@remote.test"),
                        "Subject: first\r\n\r\nx\r\n".getBytes(StandardCharsets.US_ASCII));
                String second = node.server().enqueue("sender@posthorn.test", List.of("someone@remote.test"),
                        "Subject: second\r\n\r\ny\r\n".getBytes(StandardCharsets.US_ASCII));
                await(() -> node.server().queue().get(second) != null && peer.active.get() > 0,
                        "node A to claim both and start delivering the first");
                try {
                    RunningServer consoleNode = other != null ? other : node;
                    consoleNode.server().store().directory().add(ADMIN, "pw".toCharArray(), true);
                    String token = consoleNode.server().store().directory().createToken(ADMIN, "t", null).secret();
                    WebServer web = ReferenceSite.start(WebSettings.ephemeral(), consoleNode.server(),
                            Version.current(), "loopback");
                    try {
                        assertThat(peer.received).as("the hold comes while the first is being delivered").isEmpty();
                        HttpResponse<String> hold = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + web.port() + "/api/v1/queue/actions"))
                                .header("Authorization", "Bearer " + token)
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString("{\"verb\":\"hold\",\"ids\":[\"" + second
                                        + "\"]}")).build(), HttpResponse.BodyHandlers.ofString());
                        assertThat(hold.statusCode()).isEqualTo(200);
                        assertThat(hold.body()).isEqualTo("{\"changed\":[\"" + second + "\"],\"unknown\":[]}");
                    } finally {
                        web.close();
                    }
                    if (other != null) {
                        assertThat(other.server().queue().get(second)).as("node B never claimed it").isNull();
                    }
                    // The first is delivered; then node A gives the held one's job back (its claim ends).
                    ScriptedSmtpPeer.Received delivered = peer.received.poll(30, TimeUnit.SECONDS);
                    assertThat(delivered).as("the first message").isNotNull();
                    assertThat(delivered.text()).contains("Subject: first");
                    await(() -> node.server().queue().get(second) == null && peer.active.get() == 0,
                            "node A to be done with the held message");
                    List<String> after = new ArrayList<>();
                    ScriptedSmtpPeer.Received r;
                    while ((r = peer.received.poll(1, TimeUnit.SECONDS)) != null) {
                        after.add(r.text().contains("Subject: second") ? "second" : r.text());
                    }
                    assertThat(after).as("the held message must not reach the peer").isEmpty();
                    assertThat(held(store, second)).as("still queued, held").isTrue();
                    assertThat(first).isNotEqualTo(second);
                } finally {
                    if (other != null) {
                        other.close();
                    }
                }
            }
        }
    }

    private static StoreConfig copy(StoreConfig store) {
        StoreConfig c = new StoreConfig();
        c.kind = store.kind;
        c.url = store.url;
        c.user = store.user;
        c.password = store.password;
        c.passwordFile = store.passwordFile;
        c.leaseSeconds = store.leaseSeconds;
        return c;
    }

    private static boolean held(StoreConfig store, String id) throws Exception {
        try (Connection c = PostgresServer.shared().connect(store.url);
                PreparedStatement s = c.prepareStatement("SELECT held FROM queue_messages WHERE id = ?")) {
            s.setString(1, id);
            try (ResultSet r = s.executeQuery()) {
                assertThat(r.next()).as("row " + id).isTrue();
                return r.getBoolean(1);
            }
        }
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }
}
