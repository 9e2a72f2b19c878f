package dev.posthorn.web.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.config.PosthornConfig;
import dev.posthorn.server.PosthornServer;
import dev.posthorn.server.Version;
import dev.posthorn.smtp.protocol.ListenerRole;
import dev.posthorn.testing.Logins;
import dev.posthorn.testing.RunningServer;
import dev.posthorn.testing.TestConfigs;
import dev.posthorn.web.ReferenceSite;
import dev.posthorn.web.WebServer;
import dev.posthorn.web.WebSettings;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console's login and SMTP AUTH share one throttle: wrong passwords on the console make the submission port
 * answer {@code 454 4.7.0} to the right one from the same address, and the console refuses even the right
 * password while the address is throttled.
 */
class ConsoleLoginThrottleTest {

    private static final String ADMIN = "admin@posthorn.test";
    private static final String PASSWORD = "the right password";

    @TempDir
    Path dir;
    private PosthornServer server;
    private WebServer web;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() throws Exception {
        PosthornConfig c = TestConfigs.onFreePorts(dir.resolve("data"));
        c.listen.smtpsPort = RunningServer.freePort();
        c.auth.throttleDelaySeconds = 1;
        c.mailauth.enabled = false;
        server = PosthornServer.start(c);
        server.store().directory().add(ADMIN, PASSWORD.toCharArray(), true);
        web = ReferenceSite.start(WebSettings.ephemeral(), server, Version.current(), "loopback");
    }

    @AfterEach
    void stop() {
        if (web != null) {
            web.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void wrongPasswordsOnTheConsoleThrottleSmtpAuthFromTheSameAddress() throws Exception {
        int limit = new PosthornConfig().auth.maxFailuresPerIp;
        for (int i = 0; i < limit; i++) {
            assertThat(login("wrong password " + i).statusCode()).isEqualTo(401);
        }
        HttpResponse<String> throttled = login(PASSWORD);
        assertThat(throttled.statusCode()).as("the right password, while throttled").isEqualTo(429);
        assertThat(throttled.headers().firstValue("set-cookie").orElse("")).doesNotContain("posthorn_console=");
        assertThat(Logins.plain(server.port(ListenerRole.SUBMISSIONS), ADMIN, PASSWORD))
                .startsWith("454 4.7.0 ");
    }

    @Test
    void theRightPasswordLogsInWithASessionCookie() throws Exception {
        HttpResponse<String> ok = login(PASSWORD);
        assertThat(ok.statusCode()).isEqualTo(303);
        assertThat(ok.headers().firstValue("location")).hasValue("/admin/queue");
        assertThat(ok.headers().firstValue("set-cookie").orElse(""))
                .startsWith("posthorn_console=").contains("HttpOnly", "SameSite=Strict", "Path=/;");
    }

    /** The login form as a browser sends it: its token from the page, the same value in the cookie. */
    private HttpResponse<String> login(String password) throws Exception {
        String base = "http://127.0.0.1:" + web.port();
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
}
