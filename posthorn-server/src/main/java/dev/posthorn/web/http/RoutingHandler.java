package dev.posthorn.web.http;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.FormFields;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one Jetty handler: turns the request into a {@link WebRequest}, runs the route's endpoint (a blocking
 * handler, so Jetty runs it on a pool thread, never a selector), and writes the {@link WebResponse} with the
 * headers every answer carries: a Content-Security-Policy that allows no script at all, nosniff, no framing,
 * the ETag and 304 for cacheable answers, and Server-Timing with the time the endpoint took.
 */
public final class RoutingHandler extends Handler.Abstract {

    private static final Logger LOG = LoggerFactory.getLogger(RoutingHandler.class);

    /** No inline or external script anywhere; styles and images only from this origin; forms post here. */
    static final String CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
            + "base-uri 'none'; frame-ancestors 'none'";

    private final Routes routes;
    private final Fallbacks fallbacks;
    private final Supplier<String> baseUrl;

    /**
     * @param baseUrl the site's address for absolute links, from the configuration: never from a request's
     *                Host header, which anyone can set to put their own site in our canonical links and sitemap
     */
    public RoutingHandler(Routes routes, Fallbacks fallbacks, Supplier<String> baseUrl) {
        this.routes = routes;
        this.fallbacks = fallbacks;
        this.baseUrl = baseUrl;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        long start = System.nanoTime();
        WebRequest web = webRequest(request);
        WebResponse answer;
        try {
            answer = switch (routes.match(web.method(), web.path())) {
                case Routes.Found found -> found.endpoint().handle(web.withParams(found.params()));
                case Routes.WrongMethod wrong -> fallbacks.methodNotAllowed(web, wrong.allowed())
                        .withHeader("Allow", String.join(", ", wrong.allowed()));
                case Routes.NotFound ignored -> fallbacks.notFound(web);
            };
        } catch (Exception | StackOverflowError e) {
            LOG.error("{} {} failed", web.method(), web.path(), e);
            answer = fallbacks.serverError(web);
        }
        write(web, answer, response, callback, start);
        return true;
    }

    private WebRequest webRequest(Request request) {
        Map<String, String> query = new HashMap<>();
        Fields fields = Request.extractQueryParameters(request);
        for (Fields.Field field : fields) {
            query.put(field.getName(), field.getValue());
        }
        Map<String, String> headers = new HashMap<>();
        for (HttpField field : request.getHeaders()) {
            headers.putIfAbsent(field.getLowerCaseName(), field.getValue());
        }
        return new WebRequest(request.getMethod(), Request.getPathInContext(request), Map.of(), query, headers,
                baseUrl.get(), form(request, headers.get("content-type")), Request.getRemoteAddr(request),
                request.isSecure(), json(request, headers.get("content-type")));
    }

    /** JSON bodies (the admin API's requests) are small too: read when that is the type, up to the same bound. */
    private static String json(Request request, String contentType) {
        if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("application/json")
                || "GET".equals(request.getMethod()) || "HEAD".equals(request.getMethod())) {
            return "";
        }
        if (request.getLength() < 0 || request.getLength() > MAX_FORM_BYTES) {
            return "";
        }
        try {
            String body = org.eclipse.jetty.io.Content.Source.asString(request, java.nio.charset.StandardCharsets.UTF_8);
            return body.length() > MAX_FORM_BYTES ? "" : body;
        } catch (java.io.IOException | RuntimeException e) {
            LOG.info("body of {} {} not read: {}", request.getMethod(), Request.getPathInContext(request), e.toString());
            return "";
        }
    }

    /** Form posts are small (a login, a list of queue ids): the body is read only for that type, and bounded. */
    static final int MAX_FORM_FIELDS = 2_000;
    static final int MAX_FORM_BYTES = 256 * 1024;

    private static Map<String, List<String>> form(Request request, String contentType) {
        if (!"POST".equals(request.getMethod()) || contentType == null
                || !contentType.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded")) {
            return Map.of();
        }
        Map<String, List<String>> form = new HashMap<>();
        try {
            for (Fields.Field field : FormFields.getFields(request, MAX_FORM_FIELDS, MAX_FORM_BYTES)) {
                form.put(field.getName(), List.copyOf(field.getValues()));
            }
        } catch (RuntimeException e) {
            // Too large or malformed: the endpoint sees no fields, so no CSRF token either, and refuses.
            LOG.info("form of {} {} not read: {}", request.getMethod(), Request.getPathInContext(request), e.toString());
            return Map.of();
        }
        return form;
    }

    private static void write(WebRequest request, WebResponse answer, Response response, Callback callback, long start) {
        HttpFields.Mutable headers = response.getHeaders();
        headers.put(HttpHeader.CONTENT_TYPE, answer.contentType());
        headers.put(HttpHeader.CACHE_CONTROL, answer.caching().header());
        headers.put("Content-Security-Policy", CSP);
        headers.put("X-Content-Type-Options", "nosniff");
        headers.put("Referrer-Policy", "no-referrer");
        headers.put("Cross-Origin-Opener-Policy", "same-origin");
        answer.headers().forEach(headers::put);
        int status = answer.status();
        byte[] body = answer.body();
        if (status == 200 && answer.caching().revalidates()) {
            String etag = etag(body);
            headers.put(HttpHeader.ETAG, etag);
            if (matches(request.header("if-none-match"), etag)) {
                status = 304;
                body = new byte[0];
            }
        }
        headers.put("Server-Timing", String.format(Locale.ROOT, "app;dur=%.2f", (System.nanoTime() - start) / 1e6));
        response.setStatus(status);
        if (status != 304) {
            headers.put(HttpHeader.CONTENT_LENGTH, body.length);
        }
        boolean noBody = "HEAD".equals(request.method()) || status == 304;
        response.write(true, noBody ? BufferUtil.EMPTY_BUFFER : ByteBuffer.wrap(body), callback);
    }

    /** A strong validator from the content: the same bytes always give the same tag (RFC 9110 §8.8.3). */
    static String etag(byte[] body) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(body);
            return "\"" + Base64.getUrlEncoder().withoutPadding().encodeToString(digest).substring(0, 22) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** If-None-Match: "*", or a list of tags; weak comparison as RFC 9110 §13.1.2 asks for GET and HEAD. */
    static boolean matches(String ifNoneMatch, String etag) {
        if (ifNoneMatch == null) {
            return false;
        }
        for (String candidate : ifNoneMatch.split(",")) {
            String tag = candidate.strip();
            if (tag.startsWith("W/")) {
                tag = tag.substring(2);
            }
            if (tag.equals("*") || tag.equals(etag)) {
                return true;
            }
        }
        return false;
    }
}
