package dev.posthorn.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.web.http.Caching;
import dev.posthorn.web.http.ConcurrencyLimit;
import dev.posthorn.web.http.WebResponse;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Reading pasted bounces is the costly request: only a few run at once, and one more is answered at once with
 * 503 and Retry-After rather than queued behind them, while the other pages are served as usual.
 */
class ExplainLimitTest {

    private final HttpClient client = HttpClient.newHttpClient();

    private HttpResponse<String> get(WebServer web, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + web.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void oneRequestMoreThanThePlacesIsA503WithRetryAfterAndThePlaceComesBack() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ConcurrencyLimit limit = new ConcurrencyLimit(1, 2);
        WebModule slow = routes -> routes.get("/slow", limit.guard(r -> {
            entered.countDown();
            release.await();
            return WebResponse.text(200, WebResponse.TEXT, "done", Caching.NONE);
        }, WebServerThreadsTest.PLAIN));
        try (WebServer web = WebServer.start(WebSettings.ephemeral(), null, WebServerThreadsTest.PLAIN, List.of(slow))) {
            CompletableFuture<HttpResponse<String>> first = client.sendAsync(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + web.port() + "/slow")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(entered.await(30, TimeUnit.SECONDS)).as("first request running").isTrue();

            HttpResponse<String> second = get(web, "/slow");
            assertThat(second.statusCode()).isEqualTo(503);
            assertThat(second.headers().firstValue("Retry-After")).hasValue("2");

            release.countDown();
            assertThat(first.get(30, TimeUnit.SECONDS).body()).isEqualTo("done");
            assertThat(get(web, "/slow").statusCode()).as("the place was given back").isEqualTo(200);
        }
    }

    @Test
    void theExplainPageAndTheApiShareThePlacesAndOtherPagesAreNotLimited() throws Exception {
        ConcurrencyLimit explains = new ConcurrencyLimit(1, 1);
        try (WebServer web = ReferenceSite.builder(WebSettings.ephemeral(), "test").explains(explains).start()) {
            try (ConcurrencyLimit.Permit taken = explains.tryEnter().orElseThrow()) {
                HttpResponse<String> page = get(web, "/tr/explain?line=550+5.1.1+x");
                assertThat(page.statusCode()).isEqualTo(503);
                assertThat(page.headers().firstValue("Retry-After")).hasValue("1");
                assertThat(page.headers().firstValue("Cache-Control")).hasValue("no-store");
                assertThat(page.body()).contains("<html lang=\"tr\"").contains("Sunucu meşgul");

                HttpResponse<String> api = get(web, "/api/v1/explain?line=550+5.1.1+x");
                assertThat(api.statusCode()).isEqualTo(503);
                assertThat(api.headers().firstValue("Retry-After")).hasValue("1");
                assertThat(api.body()).contains("\"status\" : 503");

                assertThat(get(web, "/en/codes/550").statusCode()).isEqualTo(200);
            }
            assertThat(get(web, "/en/explain?line=550+5.1.1+x").statusCode()).isEqualTo(200);
            assertThat(get(web, "/api/v1/explain?line=550+5.1.1+x").statusCode()).isEqualTo(200);
        }
    }
}
