package dev.posthorn.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Response;
import com.microsoft.playwright.assertions.PlaywrightAssertions;
import dev.posthorn.config.PosthornConfig;
import dev.posthorn.server.PosthornServer;
import dev.posthorn.server.Version;
import dev.posthorn.testing.TestConfigs;
import dev.posthorn.web.console.DnsZones;
import java.net.DatagramSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console's DNS and authentication page in Debian's Chromium, against zones served by a real DNS server on
 * loopback: an administrator sees, for each hosted domain, the exact records to publish (the DKIM value of a key
 * generated here), copies one with its button (a same-origin script: the page's policy refuses none of it), and
 * the check's verdict for each record (good.test in order; bad.test's MX wrong, the rest missing). With a
 * resolver that never answers the page still comes within the deadline, saying "temporary failure".
 */
@Timeout(180)
class ConsoleDnsBrowserTest {

    private static final String PASSWORD = "correct horse battery";

    @TempDir
    Path dir;
    private DnsZones zones;
    private PosthornServer server;
    private WebServer web;
    private SystemChromium browser;
    private BrowserContext context;
    private Page page;
    private String base;
    private final List<String> violations = new java.util.concurrent.CopyOnWriteArrayList<>();

    private void start(Consumer<PosthornConfig> dns) throws Exception {
        zones = DnsZones.start(dir.resolve("data"), dir.resolve("dns"));
        PosthornConfig c = TestConfigs.onFreePorts(dir.resolve("data"));
        zones.configure(c);
        dns.accept(c);
        server = PosthornServer.start(c);
        server.store().directory().add(DnsZones.ADMIN, PASSWORD.toCharArray(), true);
        web = ReferenceSite.start(WebSettings.ephemeral(), server, Version.current(), "loopback");
        base = "http://127.0.0.1:" + web.port();
        browser = SystemChromium.launch();
        context = browser.get().newContext(new com.microsoft.playwright.Browser.NewContextOptions()
                .setLocale("en-GB").setViewportSize(1280, 900));
        context.grantPermissions(List.of("clipboard-read", "clipboard-write"), new BrowserContext.GrantPermissionsOptions()
                .setOrigin(base));
        page = context.newPage();
        page.onConsoleMessage(message -> {
            if (message.text().contains("Content Security Policy")) {
                violations.add(message.text());
            }
        });
        page.navigate(base + "/admin/login");
        page.fill("#user", DnsZones.ADMIN);
        page.fill("#password", PASSWORD);
        page.click("button:has-text('Log in')");
        assertThat(page.url()).isEqualTo(base + "/admin/queue");
    }

    @AfterEach
    void stop() {
        if (context != null) {
            context.close();
        }
        if (browser != null) {
            browser.close();
        }
        if (web != null) {
            web.close();
        }
        if (server != null) {
            server.close();
        }
        if (zones != null) {
            zones.close();
        }
    }

    @Test
    void eachHostedDomainShowsTheRecordsToPublishAndWhatDnsSaysOfThem() throws Exception {
        start(c -> { });
        page.click("nav >> text=DNS");
        assertThat(page.url()).isEqualTo(base + "/admin/dns");
        assertThat(page.locator("h1").textContent()).isEqualTo("DNS and authentication");

        Locator good = page.locator("section[data-domain='good.test']");
        assertThat(rows(good.locator("table.dns-records tbody tr"), "td.name", "td.type", "td.value code"))
                .containsExactly(
                        "good.test | MX | 10 mx.posthorn.test.",
                        "good.test | TXT | v=spf1 mx -all",
                        "g1._domainkey.good.test | TXT | " + zones.goodKey.txtRecord(),
                        "_dmarc.good.test | TXT | v=DMARC1; p=none; rua=mailto:postmaster@good.test",
                        "1.0.0.127.in-addr.arpa | PTR | mx.posthorn.test.");
        assertThat(rows(good.locator("table.dns-check tbody tr"), "td.record", "td.verdict", "td.explanation"))
                .containsExactly(
                        "MX | in order | good.test has an MX record naming this server, mx.posthorn.test.",
                        "SPF | in order | The SPF record of good.test authorizes this server and needs 1 DNS lookups"
                                + " (at most 10 are allowed).",
                        "DKIM g1 | in order | DKIM key g1 is published and matches this server's key.",
                        "DMARC | in order | good.test has a DMARC record with policy reject.",
                        "PTR 127.0.0.1 | in order | 127.0.0.1 has a PTR record naming mx.posthorn.test.");
        assertThat(good.locator("p.summary").textContent()).isEqualTo("All records of good.test are in order.");
        assertThat(good.locator("pre.zone").textContent()).contains("good.test. 3600 IN MX 10 mx.posthorn.test.",
                "_dmarc.good.test. 3600 IN TXT \"v=DMARC1; p=none; rua=mailto:postmaster@good.test\"");

        Locator bad = page.locator("section[data-domain='bad.test']");
        assertThat(rows(bad.locator("table.dns-check tbody tr"), "td.record", "td.verdict", "td.explanation"))
                .containsExactly(
                        "MX | wrong | The MX records of bad.test name mail.elsewhere.test, not this server"
                                + " (mx.posthorn.test).",
                        "SPF | missing | bad.test has no SPF record (a TXT record starting with v=spf1): receivers"
                                + " cannot tell which servers may send for it.",
                        "DKIM b1 | missing | DKIM key b1 is not published: there is no TXT record at"
                                + " b1._domainkey.bad.test.",
                        "DMARC | missing | bad.test has no DMARC record (TXT at _dmarc.bad.test): Gmail and Yahoo"
                                + " expect one from every sender.",
                        "PTR 127.0.0.1 | in order | 127.0.0.1 has a PTR record naming mx.posthorn.test.");
        assertThat(bad.locator("p.summary").textContent()).isEqualTo("Records of bad.test to fix: 4.");
        assertThat(bad.locator("tr[data-name='b1._domainkey.bad.test'] td.value code").textContent())
                .isEqualTo(zones.badKey.txtRecord());

        // The copy button (shown by the page's script) puts the whole DKIM value on the clipboard.
        Locator copy = good.locator("tr[data-name='g1._domainkey.good.test'] button.copy");
        assertThat(copy.isVisible()).isTrue();
        copy.click();
        // The clipboard's answer is asynchronous: wait for the button to say so.
        PlaywrightAssertions.assertThat(copy).hasText("Copied");
        assertThat(page.evaluate("navigator.clipboard.readText()")).isEqualTo(zones.goodKey.txtRecord());
        page.screenshot(new Page.ScreenshotOptions().setPath(ReferencePagesBrowserTest.SCREENSHOTS
                .resolve("console-dns.png")).setFullPage(true));
        assertThat(violations).as("the page's policy refused nothing").isEmpty();
    }

    @Test
    void aResolverThatNeverAnswersGivesThePageWithinTheDeadlineSayingTemporaryFailure() throws Exception {
        try (DatagramSocket silent = DnsZones.silentResolver()) {
            start(c -> {
                c.dns.servers = new ArrayList<>(List.of("127.0.0.1:" + silent.getLocalPort()));
                c.dns.timeoutSeconds = 30;
            });
            long began = System.nanoTime();
            Response response = page.navigate(base + "/admin/dns");
            Duration took = Duration.ofNanos(System.nanoTime() - began);
            assertThat(response.status()).isEqualTo(200);
            // Both domains are checked at once: one deadline for the page, not one per domain or per record.
            assertThat(took).as("the page within the deadline, not the resolver's 30 s").isLessThan(Duration.ofSeconds(8));
            for (String domain : List.of("good.test", "bad.test")) {
                Locator section = page.locator("section[data-domain='" + domain + "']");
                List<String> verdicts = section.locator("table.dns-check td.verdict").allTextContents();
                assertThat(verdicts).as(domain).hasSize(5).containsOnly("temporary failure");
                assertThat(section.locator("table.dns-check td.explanation").first().textContent())
                        .startsWith("Looking up " + domain + " failed (");
            }
        }
    }

    /** The cells of each row, joined by " | ". */
    private static List<String> rows(Locator rows, String... cells) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < rows.count(); i++) {
            Locator row = rows.nth(i);
            List<String> values = new ArrayList<>();
            for (String cell : cells) {
                values.add(row.locator(cell).textContent().strip());
            }
            out.add(String.join(" | ", values));
        }
        return out;
    }
}
