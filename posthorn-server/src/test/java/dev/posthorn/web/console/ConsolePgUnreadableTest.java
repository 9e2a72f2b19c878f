package dev.posthorn.web.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.server.Version;
import dev.posthorn.store.StoreConfig;
import dev.posthorn.testing.PostgresServer;
import dev.posthorn.testing.RunningServer;
import dev.posthorn.web.ReferenceSite;
import dev.posthorn.web.WebServer;
import dev.posthorn.web.WebSettings;
import java.net.CookieManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A row of the queue in PostgreSQL that cannot be read (set aside, held) is on the console's queue page, listed
 * apart as "unreadable" with why, as {@code posthorn queue list} shows it, and the page's delete removes it.
 */
@Timeout(120)
class ConsolePgUnreadableTest {

    @TempDir
    Path dir;

    @Test
    void anUnreadableRowIsListedApartAndDeletable() throws Exception {
        StoreConfig store = PostgresServer.shared().newStoreConfig();
        try (RunningServer node = RunningServer.start(dir.resolve("a"), c -> c.store = store)) {
            try (Connection c = PostgresServer.shared().connect(store.url); Statement s = c.createStatement()) {
                s.executeUpdate("INSERT INTO queue_messages (id, received_at, accepted_by, envelope, size, chunks, held)"
                        + " VALUES ('broken-1', now(), 'elsewhere', 'not an envelope', 1, 0, true)");
            }
            node.server().store().directory().add("admin@posthorn.test", "admin password".toCharArray(), true);
            WebServer web = ReferenceSite.start(WebSettings.ephemeral(), node.server(), Version.current(), "loopback");
            try {
                HttpClient browser = HttpClient.newBuilder().cookieHandler(new CookieManager()).build();
                String base = "http://127.0.0.1:" + web.port();
                String login = csrfOf(get(browser, base + "/admin/login"));
                assertThat(post(browser, base + "/admin/login", "csrf=" + login
                        + "&user=admin%40posthorn.test&password=admin+password").statusCode()).isEqualTo(303);
                String page = get(browser, base + "/admin/queue");
                assertThat(page).contains("Unreadable (set aside)", "broken-1", "state-unreadable\">unreadable<");
                HttpResponse<String> deleted = post(browser, base + "/admin/queue/actions",
                        "csrf=" + csrfOf(page) + "&verb=delete&id=broken-1");
                assertThat(deleted.statusCode()).isEqualTo(303);
                assertThat(deleted.headers().firstValue("location")).hasValue("/admin/queue?done=delete&count=1");
                try (Connection c = PostgresServer.shared().connect(store.url); Statement s = c.createStatement();
                        ResultSet r = s.executeQuery("SELECT count(*) FROM queue_messages")) {
                    r.next();
                    assertThat(r.getInt(1)).isZero();
                }
                assertThat(get(browser, base + "/admin/queue")).doesNotContain("broken-1");
            } finally {
                web.close();
            }
        }
    }

    private static String get(HttpClient browser, String url) throws Exception {
        return browser.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static HttpResponse<String> post(HttpClient browser, String url, String form) throws Exception {
        return browser.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String csrfOf(String html) {
        Matcher m = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"").matcher(html);
        assertThat(m.find()).as("a csrf field in the page").isTrue();
        return m.group(1);
    }
}
