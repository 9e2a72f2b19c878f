package dev.posthorn.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * No input reaches a 500: every route of the site, with each path variable, query parameter and
 * Accept-Language set to values a crawler, a fuzzer or a careless paste would send. The requests go out as
 * raw bytes, so malformed escapes and dot segments arrive as written.
 */
class WebNastyInputTest {

    /** Each written raw into the request target; some percent-encoded versions are added below. */
    private static final List<String> RAW = List.of("", "%00", "%", "%zz", "..", "%2e%2e", "%2F", "a%2F..%2F..%2Fetc",
            "5.7.01", "5.07.1", "000", "9.9.9", "5.999.999", "2.7.8", "550%205.7.01%20x", "%3Cscript%3E",
            "%C5%9F%E2%82%AC%F0%9F%98%80", "%FF%FE", "5".repeat(10_000), "x".repeat(10_000));

    private static final List<String> TARGETS = List.of("/{}", "/{}/codes", "/codes/{}", "/compare/{}/530",
            "/compare/530/{}", "/providers/{}", "/explain?line={}", "/?line={}", "/en/codes/{}", "/tr/codes/{}",
            "/en/compare/{}/530", "/tr/compare/530/{}", "/en/compare?a={}&b=530", "/en/compare?a=530&b={}",
            "/en/compare?a={}", "/en/explain?line={}", "/tr/explain?line={}&line={}", "/en/providers/{}",
            "/api/v1/codes?lang={}", "/api/v1/codes/{}", "/api/v1/compare/{}/530", "/api/v1/compare/530/{}",
            "/api/v1/explain?line={}", "/api/v1/explain?lang={}&line=550", "/sitemap.xml?{}", "/static/{}",
            "/robots.txt?{}");

    private static WebServer web;

    @BeforeAll
    static void start() throws Exception {
        web = ReferenceSite.builder(WebSettings.ephemeral(), "test").start();
    }

    @AfterAll
    static void stop() {
        web.close();
    }

    @Test
    void noRouteAnswersAnyOfTheseInputsWithAServerError() throws Exception {
        List<String> values = new ArrayList<>(RAW);
        values.add(URLEncoder.encode("550-5.7.26 x\r\n550 5.7.26 \u0000 ş <a@icloud.com> - gsmtp", StandardCharsets.UTF_8));
        values.add(URLEncoder.encode("<".repeat(9_990), StandardCharsets.UTF_8));
        List<String> failures = new ArrayList<>();
        int requests = 0;
        for (String target : TARGETS) {
            for (String value : values) {
                String path = target.replace("{}", value);
                int status = status("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
                requests++;
                if (status >= 500 || status < 100) {
                    failures.add(status + " for " + abbreviate(path));
                }
            }
        }
        for (String language : List.of("", "*", "tr;q=x", "xx-YY-ZZZZ-1234567890", "q=1;tr", ",,,;;;", "ş".repeat(100))) {
            for (String target : List.of("/", "/codes/530", "/en/no-such-page", "/api/v1/nothing")) {
                int status = status("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Language: " + language + "\r\n");
                requests++;
                if (status >= 500 || status < 100) {
                    failures.add(status + " for " + target + " with Accept-Language: " + language);
                }
            }
        }
        assertThat(failures).as("server errors among " + requests + " requests").isEmpty();
    }

    private static String abbreviate(String s) {
        return s.length() > 120 ? s.substring(0, 120) + "... (" + s.length() + " chars)" : s;
    }

    /** Sends one request as written and returns the status of the answer, or -1 when there was none. */
    private static int status(String head) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", web.port())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write((head + "Connection: close\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) != -1 && b != '\n') {
                line.write(b);
            }
            String[] statusLine = line.toString(StandardCharsets.ISO_8859_1).split(" ");
            return statusLine.length > 1 ? Integer.parseInt(statusLine[1]) : -1;
        }
    }
}
