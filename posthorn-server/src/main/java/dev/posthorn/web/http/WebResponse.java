package dev.posthorn.web.http;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What an endpoint answers: status, type, body, caching and any extra headers. The routing handler adds the
 * security headers, the ETag and the timing, and leaves the body out for HEAD and 304.
 */
public record WebResponse(int status, String contentType, byte[] body, Caching caching, Map<String, String> headers) {

    public static final String HTML = "text/html; charset=utf-8";
    public static final String JSON = "application/json; charset=utf-8";
    public static final String TEXT = "text/plain; charset=utf-8";

    public WebResponse {
        headers = Map.copyOf(headers);
    }

    public static WebResponse html(int status, String html, Caching caching) {
        return new WebResponse(status, HTML, html.getBytes(StandardCharsets.UTF_8), caching, Map.of());
    }

    public static WebResponse json(int status, String json, Caching caching) {
        return new WebResponse(status, JSON, json.getBytes(StandardCharsets.UTF_8), caching, Map.of());
    }

    public static WebResponse text(int status, String contentType, String text, Caching caching) {
        return new WebResponse(status, contentType, text.getBytes(StandardCharsets.UTF_8), caching, Map.of());
    }

    /** A redirect; {@code vary} names the request header that chose the target (Accept-Language). */
    public static WebResponse redirect(int status, String location, Caching caching, String vary) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Location", location);
        if (vary != null) {
            headers.put("Vary", vary);
        }
        return new WebResponse(status, TEXT, new byte[0], caching, headers);
    }

    public WebResponse withHeader(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new WebResponse(status, contentType, body, caching, more);
    }
}
