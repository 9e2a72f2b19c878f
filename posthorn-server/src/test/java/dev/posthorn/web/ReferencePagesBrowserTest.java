package dev.posthorn.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.deque.html.axecore.playwright.AxeBuilder;
import com.deque.html.axecore.results.AxeResults;
import com.deque.html.axecore.results.Rule;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.AriaRole;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The reference pages in a real browser: one Chromium for the class, a fresh page per test. Searching a
 * pasted Gmail bounce, the Turkish comparison's sections in order, switching language, an automated
 * accessibility check (axe-core, WCAG 2.1 A and AA), and the screenshots the README shows.
 */
class ReferencePagesBrowserTest {

    static final String GMAIL_BOUNCE = "550-5.7.26 This mail has been blocked because the sender is unauthenticated. "
            + "550-5.7.26 Gmail requires all senders to authenticate with either SPF or DKIM. "
            + "550 5.7.26 d9443c01a7336-2a0f0c1b2c3si12345.118 - gsmtp";
    /**
     * Under target/ in an ordinary run, so that a test run leaves the working tree as it was; the README's images
     * are refreshed with {@code ./test -Dtest=ReferencePagesBrowserTest -Dposthorn.screenshots=docs}.
     */
    static final Path SCREENSHOTS = Path.of(System.getProperty("basedir", "."))
            .resolve("docs".equals(System.getProperty("posthorn.screenshots")) ? "../docs/screenshots"
                    : "target/screenshots")
            .toAbsolutePath().normalize();

    private static WebServer web;
    private static SystemChromium browser;
    private static String base;
    private BrowserContext context;
    private Page page;

    @BeforeAll
    static void start() throws Exception {
        web = ReferenceSite.builder(WebSettings.ephemeral(), dev.posthorn.server.Version.current()).start();
        base = "http://127.0.0.1:" + web.port();
        browser = SystemChromium.launch();
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.close();
        }
        if (web != null) {
            web.close();
        }
    }

    @BeforeEach
    void open() {
        context = browser.get().newContext(new com.microsoft.playwright.Browser.NewContextOptions()
                .setLocale("en-GB").setViewportSize(1280, 900));
        page = context.newPage();
    }

    @AfterEach
    void closePage() {
        context.close();
    }

    @Test
    void aPastedGmailBounceInTheSearchBoxGetsGmailsAdviceAboveTheGenericMeaning() {
        page.navigate(base + "/en/codes");
        page.getByLabel("Reply code or pasted bounce").fill(GMAIL_BOUNCE);
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Explain")).first().click();
        page.waitForURL("**/en/explain?line=**");

        List<String> headings = page.locator("main h2, main h3").allTextContents();
        int advice = headings.indexOf("Gmail: 550 5.7.26 — Sender not authenticated");
        int generic = headings.indexOf("What the codes mean");
        assertThat(advice).as("provider advice in " + headings).isNotNegative();
        assertThat(generic).as("generic meaning after the advice").isGreaterThan(advice);
        assertThat(page.locator(".advice dd").nth(1).textContent()).startsWith("The sender's mail operator");
        assertThat(page.locator("pre").first().textContent()).isEqualTo(GMAIL_BOUNCE);
    }

    @Test
    void theTurkishComparisonHasTheSeedsSectionsInOrder() {
        page.navigate(base + "/tr/compare/220/530");
        assertThat(page.locator("html").getAttribute("lang")).isEqualTo("tr");
        assertThat(page.locator("nav.crumbs li").first().textContent()).isEqualTo("SMTP");
        assertThat(page.locator("main h1, main h2, main h3").allTextContents()).containsExactly(
                "SMTP 220 Hizmet hazır ile 530 Kimlik doğrulama gerekli karşılaştırması",
                "220 Hizmet hazır", "Açıklama", "Gördüğünüzde", "Nasıl Düzeltilir",
                "530 Kimlik doğrulama gerekli", "Açıklama", "Gördüğünüzde", "Nasıl Düzeltilir",
                "Temel Farklar", "Hangisini Ne Zaman Kullanmalı", "Daha Fazla Öğren");
        assertThat(page.locator("main ol li").count()).as("Temel Farklar is numbered").isGreaterThanOrEqualTo(3);
        assertThat(page.title()).isEqualTo("SMTP 220 Hizmet hazır ile 530 Kimlik doğrulama gerekli karşılaştırması · Posthorn");
    }

    @Test
    void theEnglishComparisonUsesTheSameCatalogueWordsAsTheCommandLine() {
        page.navigate(base + "/en/compare/220/530");
        assertThat(page.locator("main h1, main h2").allTextContents()).containsExactly(
                "SMTP 220 Service Ready vs 530 Authentication Required", "220 Service Ready",
                "530 Authentication Required", "Key differences", "When to use which", "Learn more");
        assertThat(page.locator("main h3").allTextContents())
                .containsExactly("Description", "When you see it", "How to fix", "Description", "When you see it",
                        "How to fix");
    }

    @Test
    void theLanguageSwitcherOpensTheSamePageInTurkishAndAcceptLanguageChoosesIt() {
        page.navigate(base + "/en/codes/530");
        page.getByRole(AriaRole.NAVIGATION, new Page.GetByRoleOptions().setName("Language"))
                .getByRole(AriaRole.LINK, new com.microsoft.playwright.Locator.GetByRoleOptions().setName("Türkçe"))
                .click();
        page.waitForURL(base + "/tr/codes/530");
        assertThat(page.locator("html").getAttribute("lang")).isEqualTo("tr");
        assertThat(page.locator("h1").textContent()).isEqualTo("SMTP 530 Kimlik doğrulama gerekli");
        assertThat(page.locator("link[rel=alternate][hreflang=en]").getAttribute("href")).isEqualTo(base + "/en/codes/530");

        try (BrowserContext turkish = browser.get().newContext(new com.microsoft.playwright.Browser.NewContextOptions()
                .setLocale("tr-TR"))) {
            Page p = turkish.newPage();
            p.navigate(base + "/codes/530");
            assertThat(p.url()).isEqualTo(base + "/tr/codes/530");
        }
    }

    /** Every kind of page, in both languages; "EXPLAIN" stands for the explain page of the Gmail bounce. */
    @ParameterizedTest
    @ValueSource(strings = {"/en/codes", "/tr/codes", "/en/codes/530", "/tr/codes/5.7.1", "/en/compare", "/tr/compare",
            "/en/compare/220/530", "/tr/compare/220/530", "/en/providers", "/tr/providers", "/en/providers/gmail",
            "/tr/providers/microsoft", "/en/no-such-page", "/tr/no-such-page", "/en/EXPLAIN", "/tr/EXPLAIN"})
    void pagesPassAnAutomatedWcagCheck(String path) {
        String lang = path.substring(1, 3);
        String url = path.endsWith("/EXPLAIN") ? base + "/" + lang + "/explain?line=" + java.net.URLEncoder.encode(GMAIL_BOUNCE,
                java.nio.charset.StandardCharsets.UTF_8) : base + path;
        page.navigate(url);
        assertThat(page.locator("html").getAttribute("lang")).as("language of " + path).isEqualTo(lang);
        AxeResults results = new AxeBuilder(page)
                .withTags(List.of("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"))
                .analyze();
        assertThat(results.getPasses()).as("axe ran its rules").isNotEmpty();
        assertThat(results.getViolations()).as(() -> describe(results.getViolations())).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/tr/compare/220/530", "/en/EXPLAIN"})
    void everyElementReachedWithTheKeyboardShowsWhereTheFocusIs(String path) {
        page.navigate(path.endsWith("/EXPLAIN") ? base + "/en/explain?line=" + java.net.URLEncoder.encode(GMAIL_BOUNCE,
                java.nio.charset.StandardCharsets.UTF_8) : base + path);
        int reached = 0;
        for (int i = 0; i < 40; i++) {
            page.keyboard().press("Tab");
            // The focused element: its outline (WCAG 2.4.7) and whether it is on screen (the skip link is
            // moved into view when focused).
            @SuppressWarnings("unchecked")
            java.util.Map<String, Object> focus = (java.util.Map<String, Object>) page.evaluate("""
                    () => { const e = document.activeElement; if (!e || e === document.body) return null;
                      const s = getComputedStyle(e); const r = e.getBoundingClientRect();
                      return { what: e.outerHTML.slice(0, 80), style: s.outlineStyle, width: parseFloat(s.outlineWidth),
                               onScreen: r.right > 0 && r.bottom > 0 && r.left < innerWidth && r.width > 0 }; }""");
            if (focus == null) {
                break;
            }
            reached++;
            assertThat(focus.get("style")).as("outline of " + focus.get("what")).isNotEqualTo("none");
            assertThat(((Number) focus.get("width")).doubleValue()).as("outline width of " + focus.get("what"))
                    .isGreaterThanOrEqualTo(2);
            if (i == 0) {
                assertThat(focus.get("what").toString()).as("first Tab").contains("class=\"skip\"");
                assertThat(focus.get("onScreen")).as("the focused skip link is on screen").isEqualTo(true);
            }
        }
        assertThat(reached).as("elements reached with Tab").isGreaterThanOrEqualTo(8);
    }

    private static String describe(List<Rule> violations) {
        return violations.stream().map(v -> v.getId() + ": " + v.getHelp() + " at " + v.getNodes().stream()
                .map(n -> String.valueOf(n.getTarget())).collect(Collectors.joining(", ")))
                .collect(Collectors.joining("\n"));
    }

    @Test
    void screenshotsForTheReadme() throws Exception {
        Files.createDirectories(SCREENSHOTS);
        page.navigate(base + "/en/compare/220/530");
        page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("compare-en.png")).setFullPage(true));
        page.navigate(base + "/tr/compare/220/530");
        page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("compare-tr.png")).setFullPage(true));
        page.navigate(base + "/en/explain?line=" + java.net.URLEncoder.encode(GMAIL_BOUNCE,
                java.nio.charset.StandardCharsets.UTF_8));
        page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("explain-gmail.png")).setFullPage(true));

        try (BrowserContext phone = browser.get().newContext(new com.microsoft.playwright.Browser.NewContextOptions()
                .setViewportSize(390, 844).setIsMobile(true).setHasTouch(true).setLocale("en-GB"))) {
            Page p = phone.newPage();
            p.navigate(base + "/en/compare/220/530");
            // Nothing wider than the screen: the page reads without sideways scrolling.
            Object scrollWidth = p.evaluate("document.documentElement.scrollWidth");
            assertThat(((Number) scrollWidth).intValue()).isLessThanOrEqualTo(390);
            p.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("compare-phone.png")));
        }
        for (String name : List.of("compare-en.png", "compare-tr.png", "compare-phone.png", "explain-gmail.png")) {
            assertThat(Files.size(SCREENSHOTS.resolve(name))).as(name).isGreaterThan(10_000);
        }
    }
}
