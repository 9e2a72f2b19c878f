package dev.posthorn.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.web.http.Caching;
import dev.posthorn.web.http.Fallbacks;
import dev.posthorn.web.http.WebRequest;
import dev.posthorn.web.http.WebResponse;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Web requests never run on the virtual-thread scheduler the SMTP sessions share: a computing virtual thread
 * is not preempted, so a few busy requests could keep every SMTP client from its greeting. They run on a
 * bounded pool of platform threads instead, which the operating system schedules.
 */
class WebServerThreadsTest {

    /** Plain answers for the paths the probe does not take. */
    static final Fallbacks PLAIN = new Fallbacks() {
        @Override
        public WebResponse notFound(WebRequest request) {
            return WebResponse.text(404, WebResponse.TEXT, "not found", Caching.NONE);
        }

        @Override
        public WebResponse methodNotAllowed(WebRequest request, Set<String> allowed) {
            return WebResponse.text(405, WebResponse.TEXT, "not allowed", Caching.NONE);
        }

        @Override
        public WebResponse serverError(WebRequest request) {
            return WebResponse.text(500, WebResponse.TEXT, "error", Caching.NONE);
        }

        @Override
        public WebResponse busy(WebRequest request, int retryAfterSeconds) {
            return WebResponse.text(503, WebResponse.TEXT, "busy", Caching.NONE);
        }
    };

    @Test
    void requestsRunOnABoundedPoolOfPlatformThreads() throws Exception {
        Set<Thread> served = ConcurrentHashMap.newKeySet();
        WebModule probe = routes -> routes.get("/thread", r -> {
            served.add(Thread.currentThread());
            return WebResponse.text(200, WebResponse.TEXT, Thread.currentThread().isVirtual() ? "virtual" : "platform",
                    Caching.NONE);
        });
        HttpClient client = HttpClient.newHttpClient();
        try (WebServer web = WebServer.start(WebSettings.ephemeral(), null, PLAIN, List.of(probe))) {
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + web.port() + "/thread")).build();
            List<CompletableFuture<HttpResponse<String>>> answers = IntStream.range(0, 40)
                    .mapToObj(i -> client.sendAsync(request, HttpResponse.BodyHandlers.ofString())).toList();
            for (CompletableFuture<HttpResponse<String>> answer : answers) {
                assertThat(answer.get().statusCode()).isEqualTo(200);
                assertThat(answer.get().body()).isEqualTo("platform");
            }
        }
        assertThat(served).as("threads that answered 40 concurrent requests").hasSizeLessThanOrEqualTo(WebServer.MAX_THREADS)
                .allSatisfy(t -> assertThat(t.getName()).startsWith("web"));
    }
}
