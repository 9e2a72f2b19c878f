package dev.posthorn.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.codes.Catalogue;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/** An enhanced code written with leading zeros is a 404 (or its page), never a 500 with a stack trace in the log. */
class WebServerErrorTest {

    @Test
    void leadingZerosInAnEnhancedCodeAreNoServerError() throws Exception {
        Catalogue.load("en").find("5.7.01").ifPresent(e -> assertThat(e.text()).as("5.7.01 found without its text").isNotNull());
        HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
        try (WebServer web = ReferenceSite.builder(WebSettings.ephemeral(), "test").start()) {
            for (String path : List.of("/en/codes/5.7.01", "/tr/codes/5.07.1", "/api/v1/codes/5.7.01",
                    "/en/compare/530/5.7.01", "/en/explain?line=550+5.7.01+x", "/api/v1/explain?line=550+5.7.01+x")) {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + web.port() + path))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(path).isNotEqualTo(500);
            }
            // The code's own page is a 404 that names the code as RFC 3463 writes it.
            HttpResponse<String> page = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + web.port()
                    + "/en/codes/5.7.01")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(page.statusCode()).isEqualTo(404);
            assertThat(page.body()).contains("Did you mean 5.7.1?");
        }
    }
}
