package dev.posthorn.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A Turkish page is Turkish throughout: lang="tr" on the document, and none of the English phrases of the
 * site's own words (navigation, breadcrumb, footer, headings, labels, buttons, title, aria-labels) left in
 * it. Provider wordings and pasted text are quoted as sent, in English, and are not looked at.
 */
class TurkishPagesTest {

    /** The parts of a page written in the site's own words. */
    private static final Pattern OWN_WORDS = Pattern.compile("<(header|nav|footer|h[1-6]|label|button|title|caption|th)\\b[^>]*>"
            + "(.*?)</\\1>|aria-label=\"([^\"]*)\"|<meta name=\"description\" content=\"([^\"]*)\"", Pattern.DOTALL);

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
    void everyTurkishPageIsInTurkishWithNoEnglishLeftInItsOwnWords() throws Exception {
        List<String> english = englishOnlyPhrases();
        assertThat(english).as("English phrases to look for").hasSizeGreaterThan(100);
        String bounce = URLEncoder.encode("550-5.7.26 This mail has been blocked because the sender is unauthenticated."
                + " - gsmtp", StandardCharsets.UTF_8);
        HttpClient client = HttpClient.newHttpClient();
        List<String> leftovers = new ArrayList<>();
        for (String path : List.of("/tr/codes", "/tr/codes/530", "/tr/codes/5.7.1", "/tr/codes/4", "/tr/compare",
                "/tr/compare/220/530", "/tr/explain?line=" + bounce, "/tr/explain?line=hello", "/tr/providers",
                "/tr/providers/gmail", "/tr/providers/microsoft", "/tr/no-such-page", "/tr/codes/5.7.01")) {
            HttpResponse<String> page = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + web.port() + path))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(page.body()).as(path).contains("<html lang=\"tr\">");
            String own = ownWords(page.body());
            for (String phrase : english) {
                if (own.contains(phrase)) {
                    leftovers.add(path + ": \"" + phrase + "\"");
                }
            }
        }
        assertThat(leftovers).as("English on Turkish pages").isEmpty();

        // The scan finds English where there is some: the English page of the comparison is full of it.
        String englishPage = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + web.port()
                + "/en/compare/220/530")).build(), HttpResponse.BodyHandlers.ofString()).body();
        String own = ownWords(englishPage);
        assertThat(english.stream().filter(own::contains).count()).as("English phrases found on the English page")
                .isGreaterThanOrEqualTo(5);
    }

    private static String ownWords(String html) {
        StringBuilder text = new StringBuilder();
        Matcher m = OWN_WORDS.matcher(html);
        while (m.find()) {
            String part = m.group(2) != null ? m.group(2) : m.group(3) != null ? m.group(3) : m.group(4);
            text.append(part.replaceAll("<[^>]*>", " ").replace("&#39;", "'").replace("&quot;", "\"")
                    .replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")).append('\n');
        }
        return text.toString();
    }

    /** Every phrase of en.json that tr.json says otherwise, cut at its {placeholders}, in pieces of two words or more. */
    private static List<String> englishOnlyPhrases() throws Exception {
        JsonNode en = read("en").get("phrases");
        JsonNode tr = read("tr").get("phrases");
        List<String> pieces = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = en.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> phrase = it.next();
            JsonNode turkish = tr.get(phrase.getKey());
            if (turkish != null && turkish.asText().equals(phrase.getValue().asText())) {
                continue;
            }
            for (String piece : phrase.getValue().asText().split("\\{[^}]*\\}")) {
                String p = piece.strip();
                if (p.length() >= 8 && p.contains(" ")) {
                    pieces.add(p);
                }
            }
        }
        return pieces;
    }

    private static JsonNode read(String language) throws Exception {
        try (InputStream in = TurkishPagesTest.class.getResourceAsStream("/codes/lang/" + language + ".json")) {
            return new ObjectMapper().readTree(in);
        }
    }
}
