package dev.posthorn.web.capture;

import dev.posthorn.testmode.CapturedMessage;
import dev.posthorn.testmode.MailCapture;
import dev.posthorn.testmode.MailQuery;
import dev.posthorn.testmode.Script;
import dev.posthorn.testmode.ScriptEvent;
import dev.posthorn.web.WebModule;
import dev.posthorn.web.http.Caching;
import dev.posthorn.web.http.Routes;
import dev.posthorn.web.http.WebRequest;
import dev.posthorn.web.http.WebResponse;
import dev.posthorn.web.pages.ApiJson;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The captured mail of {@code posthorn serve --capture} as JSON, for tests in any language (only with
 * {@code --capture}, and only on a loopback address):
 * <ul>
 *   <li>{@code GET /api/v1/capture/messages?to=&from=&subject=&subject_contains=&text_contains=}:
 *       {@code {messages: [summary...]}}, oldest first</li>
 *   <li>{@code GET /api/v1/capture/messages/{id}}: one message with its header, text, html and parts</li>
 *   <li>{@code GET /api/v1/capture/messages/{id}/raw}: the message as stored ({@code message/rfc822})</li>
 *   <li>{@code DELETE /api/v1/capture/messages}: forget them all (a test's fresh start); 204</li>
 *   <li>{@code GET /api/v1/capture/events}: what the script replied to clients, each reply explained</li>
 * </ul>
 */
public final class CaptureApi implements WebModule {

    private final MailCapture capture;
    private final Script script;

    public CaptureApi(MailCapture capture, Script script) {
        this.capture = capture;
        this.script = script;
    }

    @Override
    public void register(Routes routes) {
        routes.get("/api/v1/capture/messages", this::list);
        routes.add("DELETE", "/api/v1/capture/messages", this::clear);
        routes.get("/api/v1/capture/messages/{id}", this::one);
        routes.get("/api/v1/capture/messages/{id}/raw", this::raw);
        routes.get("/api/v1/capture/events", this::events);
    }

    private WebResponse list(WebRequest r) {
        MailQuery query = new MailQuery(r.query("to"), r.query("from"), r.query("subject"), r.query("subject_contains"),
                r.query("text_contains"));
        List<Map<String, Object>> rows = capture.messages(query).stream().map(CaptureApi::summary).toList();
        return json(200, Map.of("messages", rows));
    }

    private WebResponse one(WebRequest r) {
        Optional<CapturedMessage> found = capture.byId(r.param("id"));
        if (found.isEmpty()) {
            return notFound(r.param("id"));
        }
        CapturedMessage m = found.get();
        Map<String, Object> row = summary(m);
        row.put("cc", m.cc());
        row.put("message_id", first(m.header("Message-ID")));
        row.put("text", m.text());
        row.put("html", m.html());
        List<Map<String, Object>> parts = new ArrayList<>();
        for (CapturedMessage.Part p : m.parts()) {
            Map<String, Object> part = new LinkedHashMap<>();
            part.put("content_type", p.contentType());
            part.put("filename", p.filename());
            part.put("size", p.content().length);
            parts.add(part);
        }
        row.put("parts", parts);
        return json(200, row);
    }

    private WebResponse raw(WebRequest r) {
        return capture.byId(r.param("id"))
                .map(m -> new WebResponse(200, "message/rfc822", m.content(), Caching.NONE, Map.of()))
                .orElseGet(() -> notFound(r.param("id")));
    }

    private WebResponse clear(WebRequest r) {
        capture.clear();
        if (script != null) {
            script.reset();
        }
        return new WebResponse(204, WebResponse.TEXT, new byte[0], Caching.NONE, Map.of());
    }

    private WebResponse events(WebRequest r) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (ScriptEvent e : script == null ? List.<ScriptEvent>of() : script.events()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("at", e.at().toString());
            row.put("stage", e.stage().name().toLowerCase(java.util.Locale.ROOT));
            row.put("sent", e.sent());
            row.put("reply", e.reply() == null ? null : e.reply().summary());
            row.put("action", e.action());
            row.put("explanation", e.reply() == null ? List.of() : dev.posthorn.testmode.Explanations.of(e.reply()));
            rows.add(row);
        }
        return json(200, Map.of("events", rows));
    }

    private static Map<String, Object> summary(CapturedMessage m) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("id", m.id());
        row.put("received_at", m.receivedAt().toString());
        row.put("envelope_sender", m.envelopeSender());
        row.put("envelope_recipients", m.envelopeRecipients());
        row.put("authenticated_user", m.authenticatedUser());
        row.put("subject", m.subject());
        row.put("from", m.from());
        row.put("to", m.to());
        row.put("size", m.content().length);
        return row;
    }

    private static String first(List<String> values) {
        return values.isEmpty() ? null : values.get(0);
    }

    private static WebResponse notFound(String id) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("status", 404);
        error.put("message", "no captured message " + id);
        return json(404, Map.of("error", error));
    }

    private static WebResponse json(int status, Object body) {
        return WebResponse.json(status, ApiJson.write(body), Caching.NONE);
    }
}
