package dev.posthorn.web.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.server.PosthornServer;
import dev.posthorn.server.Version;
import dev.posthorn.web.ReferenceSite;
import dev.posthorn.web.WebServer;
import dev.posthorn.web.WebSettings;
import java.net.CookieManager;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every console test starts from: a real server (each test class says how it starts it), {@link #ADMIN} an
 * administrator in its directory, the reference site with the console on a free loopback port, and the two
 * clients a test talks to it with: {@link #http}, which sends only what a request says (tokens, a cookie by
 * hand), and {@link #browser}, whose cookie jar applies RFC 6265 path matching as a browser does. The site is
 * closed before the server, after each test.
 *
 * @param <S> the server as the test class holds it
 */
abstract class ConsoleFixture<S extends AutoCloseable> {

    static final String ADMIN = "admin@posthorn.test";

    @TempDir
    Path dir;
    S server;
    WebServer web;
    /** The site's origin, {@code http://127.0.0.1:<port>}. */
    String base;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    final HttpClient browser = HttpClient.newBuilder().cookieHandler(new CookieManager())
            .connectTimeout(Duration.ofSeconds(5)).build();

    private final String adminPassword;

    ConsoleFixture(String adminPassword) {
        this.adminPassword = adminPassword;
    }

    /** Starts the server the console runs over, its data in {@code dir}. */
    abstract S startServer(Path dir) throws Exception;

    /** The Posthorn inside what {@link #startServer} returned. */
    abstract PosthornServer posthorn(S server);

    @BeforeEach
    void start() throws Exception {
        server = startServer(dir);
        posthorn(server).store().directory().add(ADMIN, adminPassword.toCharArray(), true);
        web = ReferenceSite.builder(WebSettings.ephemeral(), Version.current()).server(posthorn(server), "loopback")
                .start();
        base = "http://127.0.0.1:" + web.port();
    }

    @AfterEach
    void stop() throws Exception {
        if (web != null) {
            web.close();
        }
        if (server != null) {
            server.close();
        }
    }

    /** An API call as a script makes it: a JSON body if any, the bearer token if any, no cookies. */
    HttpResponse<String> send(String method, String path, String body, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * The login form as a browser sends it, done by hand without a cookie jar: its token from the page, the same
     * value in the cookie (the double submit the console checks).
     */
    HttpResponse<String> login(String password) throws Exception {
        HttpResponse<String> form = http.send(HttpRequest.newBuilder(URI.create(base + "/admin/login")).build(),
                HttpResponse.BodyHandlers.ofString());
        String cookie = form.headers().firstValue("set-cookie").orElseThrow().split(";")[0];
        String token = cookie.substring(cookie.indexOf('=') + 1);
        assertThat(form.body()).contains("value=\"" + token + "\"");
        String body = "csrf=" + token + "&user=" + URLEncoder.encode(ADMIN, StandardCharsets.UTF_8) + "&password="
                + URLEncoder.encode(password, StandardCharsets.UTF_8);
        return http.send(HttpRequest.newBuilder(URI.create(base + "/admin/login"))
                .header("Content-Type", "application/x-www-form-urlencoded").header("Cookie", cookie)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The administrator logs in with the {@link #browser}, whose jar keeps the session for what follows. */
    HttpResponse<String> logIn() throws Exception {
        String token = csrfOf(get("/admin/login").body());
        return post("/admin/login", "csrf=" + token + "&user=" + URLEncoder.encode(ADMIN, StandardCharsets.UTF_8)
                + "&password=" + URLEncoder.encode(adminPassword, StandardCharsets.UTF_8));
    }

    static String csrfOf(String html) {
        Matcher m = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"").matcher(html);
        assertThat(m.find()).as("a csrf field in the page").isTrue();
        return m.group(1);
    }

    HttpResponse<String> get(String path) throws Exception {
        return browser.send(HttpRequest.newBuilder(URI.create(base + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A JSON POST to the API with the browser's session, and its CSRF token if given. */
    HttpResponse<String> apiPost(String path, String json, String csrf) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        if (csrf != null) {
            b.header("X-CSRF-Token", csrf);
        }
        return browser.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A form POST with the browser's session. */
    HttpResponse<String> post(String path, String form) throws Exception {
        return browser.send(HttpRequest.newBuilder(URI.create(base + path))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
