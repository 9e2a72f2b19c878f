package dev.posthorn.web.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.posthorn.mailauth.records.ExpectedRecord;
import dev.posthorn.mailauth.records.Finding;
import dev.posthorn.mailauth.records.RecordTexts;
import dev.posthorn.queue.Attempt;
import dev.posthorn.queue.QueueActions;
import dev.posthorn.queue.QueueSelector;
import dev.posthorn.queue.QueueView;
import dev.posthorn.queue.RecipientState;
import dev.posthorn.server.PosthornServer;
import dev.posthorn.server.QueueGauges;
import dev.posthorn.spool.Envelope;
import dev.posthorn.spool.EnvelopeRecipient;
import dev.posthorn.store.ApiToken;
import dev.posthorn.store.DirectoryStore;
import dev.posthorn.web.WebModule;
import dev.posthorn.web.http.Caching;
import dev.posthorn.web.http.Routes;
import dev.posthorn.web.http.WebRequest;
import dev.posthorn.web.http.WebResponse;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The admin REST API under {@code /api/v1}: the console's and the CLI's operations as JSON (queue, users, aliases,
 * domains, stats), described by the OpenAPI 3.1 document at {@code /api/v1/openapi.json}. Authenticated by an API
 * token ({@code Authorization: Bearer ph_...}, {@code posthorn token create}) of an administrator, or by the
 * console's session cookie, with the session's CSRF token in {@code X-CSRF-Token} for anything that changes.
 * Every change is logged with who made it, as in the console.
 */
public final class ConsoleApi implements WebModule {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final PosthornServer server;
    private final Console console;
    private final boolean loopbackOnly;
    private final Clock clock;
    private final byte[] openApi;

    public ConsoleApi(PosthornServer server, Console console, boolean loopbackOnly, Clock clock) throws IOException {
        this.server = server;
        this.console = console;
        this.loopbackOnly = loopbackOnly;
        this.clock = clock;
        try (InputStream in = ConsoleApi.class.getResourceAsStream("/web/openapi.json")) {
            if (in == null) {
                throw new IOException("the OpenAPI document /web/openapi.json is not in the jar");
            }
            this.openApi = in.readAllBytes();
        }
    }

    /** Who is calling, and how (for the log). */
    private record Caller(String account, String via) {
    }

    @FunctionalInterface
    private interface Operation {
        WebResponse handle(WebRequest request, Caller caller) throws Exception;
    }

    @Override
    public void register(Routes routes) {
        routes.get("/api/v1/openapi.json", request -> new WebResponse(200, WebResponse.JSON, openApi, Caching.NONE,
                Map.of()));
        routes.get("/api/v1/queue", authenticated(this::queue));
        routes.get("/api/v1/queue/{id}", authenticated(this::message));
        routes.add("POST", "/api/v1/queue/actions", authenticated(this::queueAction));
        routes.get("/api/v1/users", authenticated(this::users));
        routes.add("POST", "/api/v1/users", authenticated(this::addUser));
        routes.add("DELETE", "/api/v1/users/{address}", authenticated(this::deleteUser));
        routes.add("PUT", "/api/v1/users/{address}/password", authenticated(this::setPassword));
        routes.add("PUT", "/api/v1/users/{address}/admin", authenticated(this::setAdmin));
        routes.add("POST", "/api/v1/aliases", authenticated(this::addAlias));
        routes.add("DELETE", "/api/v1/aliases/{alias}", authenticated(this::deleteAlias));
        routes.get("/api/v1/domains", authenticated(this::domains));
        routes.add("POST", "/api/v1/domains", authenticated(this::addDomain));
        routes.add("DELETE", "/api/v1/domains/{domain}", authenticated(this::deleteDomain));
        routes.get("/api/v1/domains/{domain}/dns", authenticated(this::domainDns));
        routes.get("/api/v1/stats", authenticated(this::stats));
    }

    /**
     * A token of an administrator, or the console's session (with its CSRF token in X-CSRF-Token for changes);
     * else 401. Off loopback, when the console is loopback-only, the API is not there either (404).
     */
    private dev.posthorn.web.http.Endpoint authenticated(Operation operation) {
        return request -> {
            if (loopbackOnly && !Console.isLoopback(request.client())) {
                return error(404, "not found");
            }
            Optional<Caller> caller = caller(request);
            if (caller.isEmpty()) {
                return error(401, "an administrator's API token (Authorization: Bearer) or console session is needed")
                        .withHeader("WWW-Authenticate", "Bearer realm=\"posthorn\"");
            }
            return operation.handle(request, caller.get());
        };
    }

    private Optional<Caller> caller(WebRequest request) {
        String authorization = request.header("authorization");
        if (authorization != null) {
            if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
                return Optional.empty();
            }
            DirectoryStore directory = server.store().directory();
            Optional<ApiToken> token = directory.verifyToken(authorization.substring(7).strip(), clock.instant());
            return token.filter(t -> directory.isAdmin(t.account()))
                    .map(t -> new Caller(t.account(), "token " + t.id()));
        }
        Optional<ConsoleSessions.Session> session = console.live(request.header("cookie"));
        if (session.isEmpty()) {
            return Optional.empty();
        }
        boolean safe = request.method().equals("GET") || request.method().equals("HEAD");
        if (!safe && !ConsoleSessions.sameToken(request.header("x-csrf-token"), session.get().csrf())) {
            return Optional.empty();
        }
        return Optional.of(new Caller(session.get().account(), "console session"));
    }

    private WebResponse queue(WebRequest request, Caller caller) {
        String state = text(request.query("state"));
        Duration older = null;
        if (!text(request.query("older_minutes")).isEmpty()) {
            try {
                older = Duration.ofMinutes(Long.parseLong(request.query("older_minutes").strip()));
            } catch (NumberFormatException e) {
                return error(400, "older_minutes must be a whole number of minutes");
            }
        }
        QueueSelector selector = new QueueSelector(List.of(), true, blankToNull(request.query("domain")),
                blankToNull(request.query("sender")), blankToNull(request.query("recipient")), older);
        Instant now = clock.instant();
        QueueView view = console.queue().view(null);
        List<Map<String, Object>> messages = new ArrayList<>();
        for (QueueView.Entry entry : view.messages()) {
            String s = QueueGauges.stateOf(entry.state()).name().toLowerCase(Locale.ROOT);
            if ((!state.isEmpty() && !state.equals(s)) || !selector.matches(entry.envelope(), now)) {
                continue;
            }
            messages.add(summary(entry, s));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("total", view.total());
        body.put("messages", messages);
        return json(200, body);
    }

    private WebResponse message(WebRequest request, Caller caller) {
        QueueView view = console.queue().view(request.param("id"));
        if (view.messages().isEmpty()) {
            return error(404, "message " + request.param("id") + " is not in the queue");
        }
        QueueView.Entry entry = view.messages().get(0);
        Map<String, Object> body = summary(entry, QueueGauges.stateOf(entry.state()).name().toLowerCase(Locale.ROOT));
        body.put("size", entry.envelope().size());
        body.put("client", entry.envelope().clientAddress());
        List<Map<String, Object>> recipients = new ArrayList<>();
        for (RecipientState r : entry.state().recipients) {
            Map<String, Object> rcpt = new LinkedHashMap<>();
            rcpt.put("address", r.address);
            rcpt.put("status", r.status.name().toLowerCase(Locale.ROOT));
            rcpt.put("next_attempt", r.nextAttempt == null || r.status.done() ? null : r.nextAttempt.toString());
            rcpt.put("attempts_made", r.attemptsMade());
            List<Map<String, Object>> attempts = new ArrayList<>();
            for (Attempt a : r.attempts) {
                Map<String, Object> at = new LinkedHashMap<>();
                at.put("at", a.at().toString());
                at.put("outcome", a.outcome());
                at.put("destination", a.destination());
                at.put("host", a.remoteHost());
                at.put("tls", a.tls());
                at.put("code", a.code());
                at.put("enhanced_code", a.enhanced());
                at.put("reply", a.reply());
                at.put("explanation", a.explanation());
                attempts.add(at);
            }
            rcpt.put("attempts", attempts);
            recipients.add(rcpt);
        }
        body.put("recipient_states", recipients);
        return json(200, body);
    }

    private WebResponse queueAction(WebRequest request, Caller caller) throws IOException {
        JsonNode body = body(request);
        if (body == null || !body.path("verb").isTextual() || !body.path("ids").isArray()) {
            return error(400, "send {\"verb\": \"retry|hold|release|delete\", \"ids\": [\"...\"]}");
        }
        QueueActions.Verb verb;
        try {
            verb = QueueActions.Verb.valueOf(body.get("verb").asText().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return error(400, "verb must be retry, hold, release or delete");
        }
        List<String> ids = new ArrayList<>();
        body.get("ids").forEach(id -> ids.add(id.asText().strip()));
        ids.removeIf(String::isEmpty);
        if (ids.isEmpty()) {
            return error(400, "ids names no message");
        }
        QueueActions.Result result;
        try {
            result = console.queue().apply(
                    new QueueActions.Request(verb, new QueueSelector(ids, false, null, null, null, null), false));
        } catch (RuntimeException e) {
            // Audited whatever happened: the answer names what was (not) changed.
            AuditLog.warn("api: actor={} via={} action=queue-{} target={} from={} failed: {}", caller.account(),
                    caller.via(), verb.name().toLowerCase(Locale.ROOT), String.join(",", ids), request.client(),
                    e.getMessage());
            return error(503, e.getMessage() == null ? e.toString() : e.getMessage());
        }
        AuditLog.info("api: actor={} via={} action=queue-{} target={} changed={} unknown={} from={}", caller.account(),
                caller.via(), verb.name().toLowerCase(Locale.ROOT), String.join(",", ids),
                result.ids().size(),
                result.unknown().size(), request.client());
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("changed", result.ids());
        answer.put("unknown", result.unknown());
        return json(200, answer);
    }

    private WebResponse users(WebRequest request, Caller caller) {
        DirectoryStore d = server.store().directory();
        List<Map<String, Object>> users = new ArrayList<>();
        for (String account : d.list()) {
            Map<String, Object> user = new LinkedHashMap<>();
            user.put("address", account);
            user.put("admin", d.isAdmin(account));
            user.put("aliases", d.aliasesOf(account));
            users.add(user);
        }
        return json(200, Map.of("users", users));
    }

    private WebResponse addUser(WebRequest request, Caller caller) throws IOException {
        JsonNode body = body(request);
        if (body == null || !body.path("address").isTextual() || !body.path("password").isTextual()) {
            return error(400, "send {\"address\": \"...\", \"password\": \"...\", \"admin\": false}");
        }
        String address = body.get("address").asText().strip();
        DirectoryStore d = server.store().directory();
        if (d.exists(address)) {
            return error(409, address + " exists already");
        }
        return change(caller, request, "user-add", address, () -> d.add(address,
                body.get("password").asText().toCharArray(), body.path("admin").asBoolean(false)), 201);
    }

    private WebResponse deleteUser(WebRequest request, Caller caller) {
        String address = request.param("address");
        DirectoryStore d = server.store().directory();
        if (!d.list().contains(address.toLowerCase(Locale.ROOT))) {
            return error(404, "no account " + address);
        }
        if (console.removesSelf(caller.account(), "user-delete", address)) {
            return error(409, Console.SELF_REFUSED);
        }
        return change(caller, request, "user-delete", address, () -> d.delete(address), 204);
    }

    private WebResponse setPassword(WebRequest request, Caller caller) throws IOException {
        JsonNode body = body(request);
        if (body == null || !body.path("password").isTextual()) {
            return error(400, "send {\"password\": \"...\"}");
        }
        String address = request.param("address");
        DirectoryStore d = server.store().directory();
        if (!d.list().contains(address.toLowerCase(Locale.ROOT))) {
            return error(404, "no account " + address);
        }
        return change(caller, request, "user-password", address,
                () -> d.setPassword(address, body.get("password").asText().toCharArray()), 204);
    }

    private WebResponse setAdmin(WebRequest request, Caller caller) throws IOException {
        JsonNode body = body(request);
        if (body == null || !body.path("admin").isBoolean()) {
            return error(400, "send {\"admin\": true|false}");
        }
        String address = request.param("address");
        DirectoryStore d = server.store().directory();
        if (!d.list().contains(address.toLowerCase(Locale.ROOT))) {
            return error(404, "no account " + address);
        }
        boolean admin = body.get("admin").asBoolean();
        if (!admin && console.removesSelf(caller.account(), "user-admin-off", address)) {
            return error(409, Console.SELF_REFUSED);
        }
        return change(caller, request, admin ? "user-admin-on" : "user-admin-off", address,
                () -> d.setAdmin(address, admin), 204);
    }

    private WebResponse addAlias(WebRequest request, Caller caller) throws IOException {
        JsonNode body = body(request);
        if (body == null || !body.path("account").isTextual() || !body.path("alias").isTextual()) {
            return error(400, "send {\"account\": \"...\", \"alias\": \"...\"}");
        }
        String account = body.get("account").asText().strip();
        String alias = body.get("alias").asText().strip();
        DirectoryStore d = server.store().directory();
        if (!d.list().contains(account.toLowerCase(Locale.ROOT))) {
            return error(404, "no account " + account);
        }
        if (d.exists(alias)) {
            return error(409, alias + " exists already");
        }
        return change(caller, request, "alias-add", alias + "->" + account, () -> d.addAlias(account, alias), 201);
    }

    private WebResponse deleteAlias(WebRequest request, Caller caller) {
        String alias = request.param("alias");
        DirectoryStore d = server.store().directory();
        if (!d.exists(alias) || d.list().contains(alias.toLowerCase(Locale.ROOT))) {
            return error(404, "no alias " + alias);
        }
        return change(caller, request, "alias-delete", alias, () -> d.delete(alias), 204);
    }

    private WebResponse domains(WebRequest request, Caller caller) {
        return json(200, Map.of("domains", server.store().directory().domains()));
    }

    private WebResponse addDomain(WebRequest request, Caller caller) throws IOException {
        JsonNode body = body(request);
        if (body == null || !body.path("domain").isTextual()) {
            return error(400, "send {\"domain\": \"example.com\"}");
        }
        String domain = body.get("domain").asText().strip();
        DirectoryStore d = server.store().directory();
        if (d.hostsDomain(domain)) {
            return error(409, domain + " is hosted already");
        }
        return change(caller, request, "domain-add", domain, () -> d.addDomain(domain), 201);
    }

    private WebResponse deleteDomain(WebRequest request, Caller caller) {
        String domain = request.param("domain");
        DirectoryStore d = server.store().directory();
        if (!d.hostsDomain(domain)) {
            return error(404, "no stored domain " + domain);
        }
        return change(caller, request, "domain-delete", domain, () -> d.deleteDomain(domain), 204);
    }

    /** The records a hosted domain needs and what DNS says of them now (the console's DNS page, as JSON). */
    private WebResponse domainDns(WebRequest request, Caller caller) {
        String domain = request.param("domain").strip().toLowerCase(Locale.ROOT);
        DomainDns dns = console.domainDns();
        if (!dns.hosted(domain)) {
            return error(404, "no hosted domain " + domain);
        }
        DomainDns.Report report = dns.check(List.of(domain)).get(0);
        List<Map<String, Object>> records = new ArrayList<>();
        for (ExpectedRecord r : report.records()) {
            Map<String, Object> rec = new LinkedHashMap<>();
            rec.put("name", r.name());
            rec.put("type", r.type());
            rec.put("value", DomainDns.value(r));
            rec.put("strings", r.data());
            rec.put("zone_line", r.zoneLine());
            rec.put("comment", dns.texts().comment(r));
            records.add(rec);
        }
        List<Map<String, Object>> findings = new ArrayList<>();
        for (Finding f : report.findings()) {
            Map<String, Object> finding = new LinkedHashMap<>();
            finding.put("record", f.record());
            finding.put("status", f.status().name().toLowerCase(Locale.ROOT));
            finding.put("phrase", f.phrase());
            finding.put("explanation", dns.texts().explanation(f));
            findings.add(finding);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("domain", report.domain());
        body.put("host", report.host());
        body.put("records", records);
        body.put("advice", report.advice());
        body.put("findings", findings);
        body.put("problems", RecordTexts.problems(report.findings()));
        body.put("unchecked", RecordTexts.unchecked(report.findings()));
        body.put("summary", report.summary());
        return json(200, body);
    }

    /** Counts since start, from the same registry as /metrics, and the queue by state now. */
    private WebResponse stats(WebRequest request, Caller caller) {
        MeterRegistry registry = server.metrics().registry();
        Map<String, Object> queue = new LinkedHashMap<>();
        for (QueueGauges.State state : QueueGauges.State.values()) {
            queue.put(state.name().toLowerCase(Locale.ROOT), 0);
        }
        // The whole shared queue with PostgreSQL (as the queue listing), this node's with the files store.
        // Counted, never listed: a listing is capped (QueueView.MAX_MESSAGES), a backlog is not.
        queue.putAll(console.queue().counts());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("connections", (long) sum(registry, "posthorn.connections"));
        body.put("accepted", (long) sum(registry, "posthorn.messages.accepted"));
        body.put("rejected", (long) sum(registry, "posthorn.messages.rejected"));
        body.put("auth_failures", (long) sum(registry, "posthorn.auth.failures"));
        body.put("queue", queue);
        return json(200, body);
    }

    private static double sum(MeterRegistry registry, String name) {
        return registry.find(name).counters().stream().mapToDouble(Counter::count).sum();
    }

    private WebResponse change(Caller caller, WebRequest request, String action, String target, Runnable change,
                               int status) {
        try {
            change.run();
        } catch (RuntimeException e) {
            AuditLog.warn("api: actor={} via={} action={} target={} from={} failed: {}", caller.account(),
                    caller.via(), action, target, request.client(), e.getMessage());
            return error(400, e.getMessage() == null ? e.toString() : e.getMessage());
        }
        AuditLog.info("api: actor={} via={} action={} target={} from={}", caller.account(), caller.via(), action,
                target, request.client());
        return status == 204 ? new WebResponse(204, WebResponse.JSON, new byte[0], Caching.NONE, Map.of())
                : json(status, Map.of("done", action, "target", target));
    }

    private static Map<String, Object> summary(QueueView.Entry entry, String state) {
        Envelope e = entry.envelope();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", e.id());
        m.put("received", e.receivedAt().toString());
        m.put("state", state);
        m.put("sender", e.sender() == null ? "" : e.sender());
        m.put("recipients", e.recipients().stream().map(EnvelopeRecipient::address).toList());
        return m;
    }

    private static JsonNode body(WebRequest request) throws IOException {
        if (request.json().isEmpty()) {
            return null;
        }
        try {
            JsonNode node = JSON.readTree(request.json());
            return node != null && node.isObject() ? node : null;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return null;
        }
    }

    private static WebResponse json(int status, Object body) {
        try {
            return new WebResponse(status, WebResponse.JSON, JSON.writeValueAsBytes(body), Caching.NONE, Map.of());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static WebResponse error(int status, String message) {
        return json(status, Map.of("error", message));
    }

    private static String text(String s) {
        return s == null ? "" : s.strip();
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
