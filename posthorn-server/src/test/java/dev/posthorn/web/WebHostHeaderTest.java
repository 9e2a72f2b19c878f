package dev.posthorn.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Absolute links (canonical, hreflang alternates, the sitemap, robots.txt) name the site's configured address,
 * never the Host header of the request: anyone can send any Host, and a cache or crawler would then keep
 * pages that point at their site. The requests go out as raw bytes, since HttpClient will not forge a Host.
 */
class WebHostHeaderTest {

    private static final List<String> PATHS = List.of("/en/codes/530", "/tr/compare/220/530", "/sitemap.xml", "/robots.txt");

    @Test
    void aForgedHostHeaderDoesNotReachTheLinksOfAPage() throws Exception {
        try (WebServer web = ReferenceSite.builder(WebSettings.ephemeral(), "test").start()) {
            String own = "http://127.0.0.1:" + web.port();
            for (String path : PATHS) {
                String answer = get(web, path, "evil.example:666");
                assertThat(answer).as(path).startsWith("HTTP/1.1 200").doesNotContain("evil.example");
            }
            assertThat(get(web, "/en/codes/530", "evil.example"))
                    .contains("<link rel=\"canonical\" href=\"" + own + "/en/codes/530\"")
                    .contains("hreflang=\"tr\" href=\"" + own + "/tr/codes/530\"");
            assertThat(get(web, "/sitemap.xml", "evil.example")).contains("<loc>" + own + "/en/codes/530</loc>");
        }
    }

    @Test
    void theConfiguredPublicUrlIsTheOneInEveryAbsoluteLink() throws Exception {
        WebSettings settings = new WebSettings("127.0.0.1", 0, false, "https://codes.example.com/", "mail.example.org");
        try (WebServer web = ReferenceSite.builder(settings, "test").start()) {
            assertThat(web.baseUrl()).isEqualTo("https://codes.example.com");
            String page = get(web, "/en/codes/530", "evil.example");
            assertThat(page).contains("<link rel=\"canonical\" href=\"https://codes.example.com/en/codes/530\"")
                    .doesNotContain("evil.example");
            assertThat(get(web, "/robots.txt", "evil.example")).contains("Sitemap: https://codes.example.com/sitemap.xml");
        }
    }

    private static String get(WebServer web, String path, String host) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", web.port())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
