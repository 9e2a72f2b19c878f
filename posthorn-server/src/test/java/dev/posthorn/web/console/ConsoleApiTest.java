package dev.posthorn.web.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.posthorn.config.PosthornConfig;
import dev.posthorn.server.PosthornServer;
import dev.posthorn.store.IssuedToken;
import dev.posthorn.testing.TestConfigs;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The admin API through its own OpenAPI document: every documented operation is called, and each answer's status
 * is one the document lists and its body matches that status's schema (JSON Schema 2020-12, as OpenAPI 3.1 has
 * it). Then the tokens: a revoked one, a non-administrator's, none at all, each 401.
 */
class ConsoleApiTest extends ConsoleFixture<PosthornServer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    ConsoleApiTest() {
        super("admin password");
    }

    @Override
    PosthornServer startServer(Path dir) throws Exception {
        PosthornConfig c = TestConfigs.onFreePorts(dir.resolve("data"));
        c.routes.put("remote.test", "127.0.0.1:9"); // refused: remote mail waits, deferred
        c.queue.retryIntervalsSeconds = new ArrayList<>(List.of(3600L));
        c.mailauth.enabled = false;
        return PosthornServer.start(c);
    }

    @Override
    PosthornServer posthorn(PosthornServer server) {
        return server;
    }

    /** One call: the operation it exercises ("GET /api/v1/queue/{id}"), the concrete request, the status wanted. */
    private record Call(String operation, String method, String path, String body, int expected) {
    }

    @Test
    void everyDocumentedOperationAnswersAsItsSchemaSays() throws Exception {
        String token = server.store().directory().createToken(ADMIN, "api test", null).secret();
        String id = server.enqueue("sender@posthorn.test", List.of("someone@remote.test"),
                "Subject: waits\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII));
        awaitAttempt(id);

        HttpResponse<String> docResponse = send("GET", "/api/v1/openapi.json", null, null);
        assertThat(docResponse.statusCode()).isEqualTo(200);
        JsonNode doc = JSON.readTree(docResponse.body());
        assertThat(doc.path("openapi").asText()).startsWith("3.1");

        List<Call> calls = List.of(
                new Call("GET /api/v1/queue", "GET", "/api/v1/queue?state=deferred&domain=remote.test", null, 200),
                new Call("GET /api/v1/queue/{id}", "GET", "/api/v1/queue/" + id, null, 200),
                new Call("GET /api/v1/queue/{id}", "GET", "/api/v1/queue/NOSUCHID", null, 404),
                new Call("POST /api/v1/queue/actions", "POST", "/api/v1/queue/actions",
                        "{\"verb\":\"hold\",\"ids\":[\"" + id + "\",\"NOSUCHID\"]}", 200),
                new Call("GET /api/v1/users", "GET", "/api/v1/users", null, 200),
                new Call("POST /api/v1/users", "POST", "/api/v1/users",
                        "{\"address\":\"new@posthorn.test\",\"password\":\"a long password\"}", 201),
                new Call("POST /api/v1/users", "POST", "/api/v1/users",
                        "{\"address\":\"new@posthorn.test\",\"password\":\"again\"}", 409),
                new Call("PUT /api/v1/users/{address}/password", "PUT", "/api/v1/users/new@posthorn.test/password",
                        "{\"password\":\"another long password\"}", 204),
                new Call("PUT /api/v1/users/{address}/admin", "PUT", "/api/v1/users/new@posthorn.test/admin",
                        "{\"admin\":true}", 204),
                new Call("POST /api/v1/aliases", "POST", "/api/v1/aliases",
                        "{\"account\":\"new@posthorn.test\",\"alias\":\"other@posthorn.test\"}", 201),
                new Call("DELETE /api/v1/aliases/{alias}", "DELETE", "/api/v1/aliases/other@posthorn.test", null, 204),
                new Call("DELETE /api/v1/users/{address}", "DELETE", "/api/v1/users/new@posthorn.test", null, 204),
                new Call("DELETE /api/v1/users/{address}", "DELETE", "/api/v1/users/new@posthorn.test", null, 404),
                new Call("GET /api/v1/domains", "GET", "/api/v1/domains", null, 200),
                new Call("POST /api/v1/domains", "POST", "/api/v1/domains", "{\"domain\":\"added.test\"}", 201),
                new Call("DELETE /api/v1/domains/{domain}", "DELETE", "/api/v1/domains/added.test", null, 204),
                new Call("GET /api/v1/domains/{domain}/dns", "GET", "/api/v1/domains/nosuch.test/dns", null, 404),
                new Call("GET /api/v1/stats", "GET", "/api/v1/stats", null, 200));

        // The validator resolves the document's references and refuses what does not match (a check of the check).
        assertThat(validator(doc, doc.at("/components/schemas/QueueList"))
                .validate(JSON.readTree("{\"total\": 1, \"messages\": [{\"id\": \"X\"}]}"))).isNotEmpty();

        Set<String> documented = new TreeSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> paths = doc.get("paths").fields(); paths.hasNext(); ) {
            Map.Entry<String, JsonNode> path = paths.next();
            path.getValue().fieldNames().forEachRemaining(method -> documented.add(method.toUpperCase() + " " + path.getKey()));
        }
        Set<String> called = new TreeSet<>();
        calls.forEach(call -> called.add(call.operation()));
        assertThat(called).as("every documented operation is called, and only those").isEqualTo(documented);

        Map<String, String> bodies = new LinkedHashMap<>();
        for (Call call : calls) {
            HttpResponse<String> response = send(call.method(), call.path(), call.body(), token);
            assertThat(response.statusCode()).as(call.method() + " " + call.path() + ": " + response.body())
                    .isEqualTo(call.expected());
            String[] parts = call.operation().split(" ", 2);
            JsonNode declared = doc.get("paths").get(parts[1]).get(parts[0].toLowerCase()).get("responses")
                    .get(String.valueOf(response.statusCode()));
            assertThat(declared).as("status " + response.statusCode() + " of " + call.operation() + " is documented")
                    .isNotNull();
            JsonNode schema = declared.path("content").path("application/json").path("schema");
            if (schema.isMissingNode()) {
                assertThat(response.body()).as(call.operation() + " has no body").isEmpty();
                continue;
            }
            assertThat(response.headers().firstValue("content-type").orElse("")).startsWith("application/json");
            Set<ValidationMessage> problems = validator(doc, schema).validate(JSON.readTree(response.body()));
            assertThat(problems).as(call.method() + " " + call.path() + " → " + response.body()).isEmpty();
            bodies.put(call.method() + " " + call.path(), response.body());
        }

        // What the answers say is what happened.
        JsonNode message = JSON.readTree(bodies.get("GET /api/v1/queue/" + id));
        JsonNode attempt = message.get("recipient_states").get(0).get("attempts").get(0);
        assertThat(attempt.get("outcome").asText()).isEqualTo("deferred");
        assertThat(attempt.get("explanation").asText()).isNotBlank();
        JsonNode action = JSON.readTree(bodies.get("POST /api/v1/queue/actions"));
        assertThat(action.get("changed")).hasSize(1);
        assertThat(action.get("unknown").get(0).asText()).isEqualTo("NOSUCHID");
        assertThat(server.queue().get(id).snapshot().held).as("the hold is the queue's").isTrue();
        assertThat(server.store().directory().list()).doesNotContain("new@posthorn.test");
        assertThat(server.store().directory().domains()).doesNotContain("added.test");
        JsonNode stats = JSON.readTree(bodies.get("GET /api/v1/stats"));
        assertThat(stats.get("queue").get("held").asInt()).isEqualTo(1);
    }

    @Test
    void aRevokedTokenANonAdministratorsTokenAndNoTokenAreRefused() throws Exception {
        IssuedToken revoked = server.store().directory().createToken(ADMIN, "to revoke", null);
        assertThat(send("GET", "/api/v1/queue", null, revoked.secret()).statusCode()).isEqualTo(200);
        server.store().directory().revokeToken(revoked.token().id());
        HttpResponse<String> afterRevoke = send("GET", "/api/v1/queue", null, revoked.secret());
        assertThat(afterRevoke.statusCode()).isEqualTo(401);
        assertThat(afterRevoke.headers().firstValue("www-authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        assertThat(send("POST", "/api/v1/users", "{\"address\":\"x@posthorn.test\",\"password\":\"a long password\"}",
                revoked.secret()).statusCode()).isEqualTo(401);
        assertThat(server.store().directory().exists("x@posthorn.test")).isFalse();

        server.store().directory().add("user@posthorn.test", "user password".toCharArray(), false);
        String userToken = server.store().directory().createToken("user@posthorn.test", "not an admin", null).secret();
        assertThat(send("GET", "/api/v1/users", null, userToken).statusCode()).isEqualTo(401);
        assertThat(send("GET", "/api/v1/users", null, null).statusCode()).isEqualTo(401);
        assertThat(send("GET", "/api/v1/users", null, "ph_forged_secret").statusCode()).isEqualTo(401);
    }

    private JsonSchema validator(JsonNode doc, JsonNode schema) {
        // The response schema with the document's components beside it, so "#/components/schemas/X" resolves.
        ObjectNode root = schema.deepCopy();
        root.set("components", doc.get("components"));
        return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(root);
    }

    private void awaitAttempt(String id) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (server.queue().get(id).snapshot().recipients.get(0).attemptsMade() == 0) {
            assertThat(System.nanoTime()).as("an attempt within 15 s").isLessThan(deadline);
            Thread.sleep(50);
        }
    }
}
