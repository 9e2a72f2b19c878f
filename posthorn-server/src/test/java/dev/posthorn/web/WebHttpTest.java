package dev.posthorn.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The web server over real HTTP: addresses, redirects, caching, headers, errors, escaping and the JSON API. */
class WebHttpTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    private static WebServer web;
    private static String base;

    @BeforeAll
    static void start() throws IOException {
        web = ReferenceSite.builder(WebSettings.ephemeral(), "test").start();
        base = "http://127.0.0.1:" + web.port();
    }

    @AfterAll
    static void stop() {
        web.close();
    }

    private static HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void addressesWithoutALanguageRedirectByAcceptLanguageAndSayItVaries() throws Exception {
        HttpResponse<String> tr = get("/codes/530", "Accept-Language", "tr-TR,tr;q=0.9,en;q=0.5");
        assertThat(tr.statusCode()).isEqualTo(302);
        assertThat(tr.headers().firstValue("Location")).hasValue("/tr/codes/530");
        assertThat(tr.headers().firstValue("Vary")).hasValue("Accept-Language");
        assertThat(get("/compare/220/530", "Accept-Language", "de, fr;q=0.5").headers().firstValue("Location"))
                .hasValue("/en/compare/220/530");
        assertThat(get("/", "Accept-Language", "tr").headers().firstValue("Location")).hasValue("/tr/codes");
        assertThat(get("/explain?line=530%205.7.0", "Accept-Language", "tr").headers().firstValue("Location"))
                .hasValue("/tr/explain?line=530+5.7.0");
    }

    @Test
    void aCodePageHasTitleDescriptionCanonicalAndAlternatesInItsLanguage() throws Exception {
        HttpResponse<String> page = get("/tr/codes/530");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        assertThat(page.body()).contains("<html lang=\"tr\">")
                .contains("<title>SMTP 530 Kimlik doğrulama gerekli · Posthorn</title>")
                .contains("<meta name=\"description\" content=\"SMTP 530 Kimlik doğrulama gerekli: ne anlama gelir")
                .contains("<link rel=\"canonical\" href=\"" + base + "/tr/codes/530\">")
                .contains("<link rel=\"alternate\" hreflang=\"en\" href=\"" + base + "/en/codes/530\">")
                .contains("<link rel=\"alternate\" hreflang=\"x-default\" href=\"" + base + "/en/codes/530\">")
                .contains("<main id=\"main\">").contains("<h1>SMTP 530 Kimlik doğrulama gerekli</h1>")
                .doesNotContain("<script");
    }

    @Test
    void pagesCarryACspWithoutScriptAnETagAndAnswer304ToIt() throws Exception {
        HttpResponse<String> first = get("/en/compare/220/530");
        assertThat(first.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(csp ->
                assertThat(csp).startsWith("default-src 'none';").doesNotContain("script-src").doesNotContain("unsafe"));
        assertThat(first.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(first.headers().firstValue("Cache-Control")).hasValue("public, max-age=3600");
        assertThat(first.headers().firstValue("Server-Timing")).hasValueSatisfying(t -> assertThat(t).startsWith("app;dur="));
        String etag = first.headers().firstValue("ETag").orElseThrow();
        HttpResponse<String> again = get("/en/compare/220/530", "If-None-Match", etag);
        assertThat(again.statusCode()).isEqualTo(304);
        assertThat(again.body()).isEmpty();
        assertThat(get("/en/compare/220/530", "If-None-Match", "\"other\"").statusCode()).isEqualTo(200);
    }

    @Test
    void headAnswersLikeGetWithoutTheBody() throws Exception {
        HttpResponse<String> get = get("/en/codes/550");
        HttpResponse<String> head = CLIENT.send(HttpRequest.newBuilder(URI.create(base + "/en/codes/550"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(head.headers().firstValueAsLong("Content-Length"))
                .hasValue(get.body().getBytes(StandardCharsets.UTF_8).length);
        HttpResponse<String> post = CLIENT.send(HttpRequest.newBuilder(URI.create(base + "/en/codes/550"))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");
    }

    @Test
    void pagesAreGzippedForClientsThatAsk() throws Exception {
        HttpResponse<byte[]> zipped = CLIENT.send(HttpRequest.newBuilder(URI.create(base + "/en/codes"))
                .header("Accept-Encoding", "gzip").build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(zipped.headers().firstValue("Content-Encoding")).hasValue("gzip");
        String html = new String(new GZIPInputStream(new ByteArrayInputStream(zipped.body())).readAllBytes(),
                StandardCharsets.UTF_8);
        assertThat(html).contains("<h1>SMTP reply codes and enhanced status codes</h1>");
        assertThat(zipped.body().length).isLessThan(html.length() / 3);
    }

    @Test
    void theStylesheetHasAContentHashedNameAndAYearOfCache() throws Exception {
        String html = get("/en/codes").body();
        String css = html.replaceAll("(?s).*<link rel=\"stylesheet\" href=\"([^\"]+)\">.*", "$1");
        assertThat(css).matches("/static/posthorn\\.[0-9a-f]{10}\\.css");
        HttpResponse<String> sheet = get(css);
        assertThat(sheet.statusCode()).isEqualTo(200);
        assertThat(sheet.headers().firstValue("Content-Type")).hasValue("text/css; charset=utf-8");
        assertThat(sheet.headers().firstValue("Cache-Control")).hasValue("public, max-age=31536000, immutable");
        assertThat(get("/static/posthorn.css").statusCode()).isEqualTo(404);
        assertThat(get("/static/..%2F..%2Fpom.xml").statusCode()).isIn(400, 404);
        assertThat(get("/static/../../pom.xml").statusCode()).isIn(400, 404);
    }

    @Test
    void anUnknownCodeIsA404InTheAddressLanguageNamingTheNearbyCodes() throws Exception {
        HttpResponse<String> page = get("/tr/codes/5.7.99");
        assertThat(page.statusCode()).isEqualTo(404);
        assertThat(page.body()).contains("<html lang=\"tr\">").contains("<h1>Sayfa bulunamadı</h1>").contains("5.7.1");
        assertThat(page.headers().firstValue("Cache-Control")).hasValue("no-store");
        HttpResponse<String> nowhere = get("/nowhere/at/all", "Accept-Language", "tr");
        assertThat(nowhere.statusCode()).isEqualTo(404);
        assertThat(nowhere.body()).contains("<html lang=\"tr\">");
        assertThat(get("/xx/codes/530").statusCode()).isEqualTo(404);
    }

    @Test
    void pastedTextIsEscapedNeverMarkup() throws Exception {
        String attack = "550 5.7.1 <script>alert(1)</script><img src=x onerror=alert(2)> \"quoted\" & more";
        HttpResponse<String> page = get("/en/explain?line=" + URLEncoder.encode(attack, StandardCharsets.UTF_8));
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).doesNotContain("<script").doesNotContain("<img src=x")
                .contains("&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;");
        assertThat(page.headers().firstValue("Cache-Control")).hasValue("no-store");
        assertThat(page.body()).contains("<meta name=\"robots\" content=\"noindex\">");
    }

    @Test
    void aHugePasteIsCutAndTheCutIsSaid() throws Exception {
        String huge = "550 5.7.1 " + "x".repeat(30_000);
        HttpResponse<String> page = get("/en/explain?line=" + huge.replace(" ", "+"));
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("Only the first 10000 characters were read.")
                .doesNotContain("x".repeat(10_001));
        assertThat(get("/api/v1/explain?line=" + huge.replace(" ", "+")).statusCode()).isEqualTo(413);
    }

    @Test
    void aBareCodeInTheSearchBoxOpensItsPage() throws Exception {
        HttpResponse<String> search = get("/tr/explain?line=%205.7.1%20");
        assertThat(search.statusCode()).isEqualTo(303);
        assertThat(search.headers().firstValue("Location")).hasValue("/tr/codes/5.7.1");
        assertThat(get("/en/compare?a=530&b=535").headers().firstValue("Location")).hasValue("/en/compare/530/535");
    }

    @Test
    void theApiGivesTheSameJsonAsTheCommandLineAndTheProviderAdviceForABounce() throws Exception {
        JsonNode code = JSON.readTree(get("/api/v1/codes/530?lang=tr").body());
        List<String> fields = new ArrayList<>();
        code.fieldNames().forEachRemaining(fields::add);
        assertThat(fields).containsExactly("code", "class", "title", "meaning", "when", "fix", "rfc", "related");
        assertThat(code.get("title").asText()).isEqualTo("Kimlik doğrulama gerekli");

        HttpResponse<String> explained = get("/api/v1/explain?line=" + URLEncoder.encode(
                "550 5.7.606 Access denied, banned sending IP [192.0.2.1]", StandardCharsets.UTF_8));
        assertThat(explained.statusCode()).isEqualTo(200);
        assertThat(explained.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
        JsonNode reading = JSON.readTree(explained.body());
        assertThat(reading.get("providers").get(0).get("id").asText()).isEqualTo("microsoft-5.7.606-banned-ip");
        assertThat(reading.get("providers").get(0).get("actor").asText()).isEqualTo("sender-operator");
        assertThat(reading.get("codes").get(0).get("code").asText()).isEqualTo("550");
        assertThat(reading.get("notes").get(0).asText()).contains("5.7.606");

        JsonNode compare = JSON.readTree(get("/api/v1/compare/220/530").body());
        assertThat(compare.get("title").asText()).isEqualTo("SMTP 220 Service Ready vs 530 Authentication Required");
        JsonNode all = JSON.readTree(get("/api/v1/codes").body());
        assertThat(all.get("basic").size()).isGreaterThan(30);
        assertThat(all.get("enhanced").size()).isGreaterThan(70);

        HttpResponse<String> missing = get("/api/v1/codes/599");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(missing.body()).get("error").get("message").asText()).contains("5xx");
        assertThat(get("/api/v1/codes/530?lang=xx").statusCode()).isEqualTo(400);
        assertThat(get("/api/v1/nothing").headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
    }

    @Test
    void robotsAndSitemapListEveryLanguage() throws Exception {
        assertThat(get("/robots.txt").body()).contains("Disallow: /api/").contains("Disallow: /tr/explain")
                .contains("Sitemap: " + base + "/sitemap.xml");
        String sitemap = get("/sitemap.xml").body();
        assertThat(sitemap).contains("<loc>" + base + "/tr/compare/220/530</loc>")
                .contains("<xhtml:link rel=\"alternate\" hreflang=\"en\" href=\"" + base + "/en/codes/5.7.1\"/>")
                .contains("<loc>" + base + "/en/providers/gmail</loc>");
    }
}
