package dev.posthorn.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.APIResponse;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Response;
import com.microsoft.playwright.options.FormData;
import com.microsoft.playwright.options.RequestOptions;
import dev.posthorn.config.PosthornConfig;
import dev.posthorn.delivery.fixtures.ScriptedSmtpPeer;
import dev.posthorn.queue.Attempt;
import dev.posthorn.queue.QueuedMessage;
import dev.posthorn.queue.RecipientState;
import dev.posthorn.queue.RecipientStatus;
import dev.posthorn.server.PosthornServer;
import dev.posthorn.server.Version;
import com.microsoft.playwright.assertions.LocatorAssertions;
import com.microsoft.playwright.assertions.PlaywrightAssertions;
import dev.posthorn.smtp.protocol.ListenerRole;
import dev.posthorn.testing.SmtpWire;
import dev.posthorn.testing.TestConfigs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console in Debian's Chromium, as an operator uses it: a message that a refusing peer keeps deferring shows
 * the peer's reply and the catalogue's explanation on its timeline; once the peer is fixed, "Retry now" delivers
 * it. A non-administrator cannot log in, and a form posted without its CSRF token changes nothing.
 */
class ConsoleBrowserTest {

    private static final String ADMIN = "admin@posthorn.test";
    private static final String ADMIN_PASSWORD = "correct horse battery";
    private static final String USER = "user@posthorn.test";
    private static final String USER_PASSWORD = "just a mailbox owner";
    private static final String REFUSAL = "450 4.2.1 Mailbox busy, try again later";

    @TempDir
    Path dir;
    private ScriptedSmtpPeer peer;
    private PosthornServer server;
    private WebServer web;
    private SystemChromium browser;
    private BrowserContext context;
    private Page page;
    private String base;

    @BeforeEach
    void start() throws Exception {
        peer = ScriptedSmtpPeer.start();
        peer.rcptReplies.put("someone@remote.test", REFUSAL);
        PosthornConfig c = TestConfigs.onFreePorts(dir.resolve("data"));
        c.routes.put("remote.test", "127.0.0.1:" + peer.port());
        // The next attempt is an hour away: only the operator's retry brings it sooner.
        c.queue.retryIntervalsSeconds = new ArrayList<>(List.of(3600L));
        c.queue.connectTimeoutSeconds = 2;
        c.queue.commandTimeoutSeconds = 5;
        c.mailauth.enabled = false;
        c.listen.mxPort = dev.posthorn.testing.RunningServer.freePort(); // the dashboard test sends mail
        server = PosthornServer.start(c);
        server.store().directory().add(ADMIN, ADMIN_PASSWORD.toCharArray(), true);
        server.store().directory().add(USER, USER_PASSWORD.toCharArray(), false);
        web = ReferenceSite.builder(WebSettings.ephemeral(), Version.current()).server(server, "loopback").start();
        base = "http://127.0.0.1:" + web.port();
        browser = SystemChromium.launch();
        context = browser.get().newContext(new com.microsoft.playwright.Browser.NewContextOptions()
                .setLocale("en-GB").setViewportSize(1280, 900));
        page = context.newPage();
    }

    @AfterEach
    void stop() throws Exception {
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
        peer.close();
    }

    @Test
    void aDeferredMessageShowsThePeersReplyAndIsDeliveredWhenRetriedAfterThePeerIsFixed() throws Exception {
        String id = server.enqueue("sender@posthorn.test", List.of("someone@remote.test"),
                "Subject: stuck\r\n\r\nwaiting for the peer\r\n".getBytes(StandardCharsets.US_ASCII));
        await(() -> recipient(id) != null && recipient(id).status == RecipientStatus.DEFERRED, "the first deferral");
        Attempt first = recipient(id).lastAttempt();

        logIn(ADMIN, ADMIN_PASSWORD);
        assertThat(page.url()).isEqualTo(base + "/admin/queue");
        assertThat(page.locator("table.queue tbody tr").count()).isEqualTo(1);
        assertThat(page.locator("table.queue tbody").textContent()).contains(id, "deferred", "someone@remote.test",
                "450 4.2.1");
        screenshot("console-queue.png");

        page.click("text=" + id);
        assertThat(page.url()).isEqualTo(base + "/admin/queue/" + id);
        assertThat(page.locator("#state").textContent()).isEqualTo("deferred");
        assertThat(page.locator("pre.reply").first().textContent()).isEqualTo(REFUSAL);
        // The explanation is the catalogue's, as recorded with the attempt (and as posthorn queue show prints it).
        assertThat(first.explanation()).isNotBlank();
        assertThat(page.locator("p.explanation").first().textContent()).isEqualTo(first.explanation());
        assertThat(page.locator("ol.timeline").textContent()).contains("[127.0.0.1]:" + peer.port());
        assertThat(page.content()).contains("Next attempt");
        screenshot("console-timeline.png");

        peer.rcptReplies.clear();
        page.click("button:has-text('Retry now')");
        assertThat(page.locator("#notice").textContent()).isEqualTo("1 message(s) set to be retried now.");
        ScriptedSmtpPeer.Received got = peer.take(Duration.ofSeconds(15));
        assertThat(got).as("the retried message reached the fixed peer").isNotNull();
        assertThat(got.rcptTo()).containsExactly("someone@remote.test");
        await(() -> server.queue().get(id) == null, "the delivered message to leave the queue");
        Response reload = page.navigate(base + "/admin/queue/" + id);
        assertThat(reload.status()).isEqualTo(404);
        assertThat(page.content()).contains("not in the queue: delivered");
    }

    @Test
    void aNonAdministratorIsRefusedAndSeesNoQueue() {
        logIn(USER, USER_PASSWORD);
        assertThat(page.url()).isEqualTo(base + "/admin/login");
        assertThat(page.locator("#login-error").textContent()).contains("not an administrator");
        Response queue = page.navigate(base + "/admin/queue");
        assertThat(page.url()).isEqualTo(base + "/admin/login");
        assertThat(queue.status()).isEqualTo(200); // the login form, after the redirect
        assertThat(page.locator("table.queue").count()).isZero();
    }

    @Test
    void aFormPostedWithoutItsCsrfTokenIsRefusedAndChangesNothing() throws Exception {
        String id = server.enqueue("sender@posthorn.test", List.of("someone@remote.test"),
                "Subject: keep\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII));
        await(() -> recipient(id) != null && recipient(id).status == RecipientStatus.DEFERRED, "the first deferral");
        logIn(ADMIN, ADMIN_PASSWORD);
        // The session cookie goes along (the browser context's own request API): only the token is missing.
        APIResponse forged = context.request().post(base + "/admin/queue/actions",
                RequestOptions.create().setForm(FormData.create().set("verb", "delete").set("id", id))
                        .setMaxRedirects(0));
        assertThat(forged.status()).isEqualTo(403);
        assertThat(forged.text()).contains("without its security token");
        APIResponse wrong = context.request().post(base + "/admin/queue/actions",
                RequestOptions.create().setForm(FormData.create().set("verb", "delete").set("id", id)
                        .set("csrf", "not-the-token")).setMaxRedirects(0));
        assertThat(wrong.status()).isEqualTo(403);
        assertThat(server.queue().get(id)).as("still queued").isNotNull();
        assertThat(recipient(id).status).isEqualTo(RecipientStatus.DEFERRED);

        // And the page's own form, with its token, does what it says.
        page.navigate(base + "/admin/queue/" + id);
        page.click("button:has-text('Hold')");
        assertThat(page.locator("#state").textContent()).isEqualTo("held");
        String cookies = context.cookies().toString();
        assertThat(context.cookies()).anySatisfy(cookie -> {
            assertThat(cookie.name).isEqualTo("posthorn_console");
            assertThat(cookie.httpOnly).isTrue();
            assertThat(cookie.sameSite.name()).isEqualTo("STRICT");
        });
        assertThat(cookies).isNotEmpty();
    }

    @Test
    void usersAliasesAndDomainsAreManagedFromTheirPages() {
        logIn(ADMIN, ADMIN_PASSWORD);
        page.navigate(base + "/admin/users");
        page.fill("#new-address", "ops@posthorn.test");
        page.fill("#new-password", "a long enough password");
        page.check("input[name=admin]");
        page.click("button:has-text('Add the account')");
        assertThat(page.locator("#notice").textContent()).isEqualTo("The account was added.");
        assertThat(server.store().directory().isAdmin("ops@posthorn.test")).isTrue();
        page.fill("input[aria-label='New alias of ops@posthorn.test']", "duty@posthorn.test");
        page.click("tr:has-text('ops@posthorn.test') button:has-text('Add alias')");
        assertThat(server.store().directory().accountFor("duty@posthorn.test")).hasValue("ops@posthorn.test");
        page.click("tr:has-text('ops@posthorn.test') button:has-text('Withdraw admin')");
        assertThat(page.locator("#notice").textContent()).isEqualTo("The account is no longer an administrator.");
        assertThat(server.store().directory().isAdmin("ops@posthorn.test")).isFalse();
        page.click("tr:has-text('ops@posthorn.test') button:has-text('Delete'):not([aria-label])");
        assertThat(server.store().directory().exists("ops@posthorn.test")).isFalse();
        assertThat(server.store().directory().exists("duty@posthorn.test")).isFalse();

        page.navigate(base + "/admin/domains");
        page.fill("#new-domain", "added.test");
        page.click("button:has-text('Add the domain')");
        assertThat(page.locator("#notice").textContent()).isEqualTo("The domain is hosted now.");
        assertThat(server.store().directory().hostsDomain("added.test")).isTrue();
        assertThat(page.locator("ul.domains").textContent()).contains("added.test");
    }

    @Test
    void theDashboardCountsAcceptedAndRefusedMailLiveWithoutAReload() throws Exception {
        List<String> violations = new java.util.concurrent.CopyOnWriteArrayList<>();
        page.onConsoleMessage(message -> {
            if (message.text().contains("Content Security Policy")) {
                violations.add(message.text());
            }
        });
        logIn(ADMIN, ADMIN_PASSWORD);
        page.navigate(base + "/admin/dashboard");
        assertThat(page.locator("#dash-accepted").textContent()).isEqualTo("0");
        assertThat(page.locator("#dash-refused-total").textContent()).isEqualTo("0");
        try (SmtpWire wire = SmtpWire.connect(server.port(ListenerRole.MX))) {
            assertThat(wire.reply()).startsWith("220 ");
            assertThat(wire.command("EHLO client.test")).startsWith("250");
            assertThat(wire.command("MAIL FROM:<someone@client.test>")).startsWith("250 ");
            assertThat(wire.command("RCPT TO:<" + ADMIN + ">")).startsWith("250 ");
            assertThat(wire.command("DATA")).startsWith("354 ");
            assertThat(wire.command("Subject: hello\r\n\r\nbody\r\n.")).startsWith("250 ");
            // A refused transaction (its only recipient unknown): one refusal, counted when QUIT ends it.
            assertThat(wire.command("MAIL FROM:<someone@client.test>")).startsWith("250 ");
            assertThat(wire.command("RCPT TO:<nobody@posthorn.test>")).startsWith("550 5.1.1 ");
            assertThat(wire.command("QUIT")).startsWith("221 ");
        }
        // No reload: the page's script brings the new figures.
        PlaywrightAssertions.assertThat(page.locator("#dash-accepted")).hasText("1",
                new LocatorAssertions.HasTextOptions().setTimeout(15_000));
        PlaywrightAssertions.assertThat(page.locator("#dash-refused-total")).hasText("1");
        PlaywrightAssertions.assertThat(page.locator("#dash-refused a")).hasAttribute("href", "/en/codes/5.1.1");
        PlaywrightAssertions.assertThat(page.locator("#dash-delivered")).hasText("1",
                new LocatorAssertions.HasTextOptions().setTimeout(15_000));
        screenshot("console-dashboard.png");
        assertThat(violations).as("the page's policy refused nothing").isEmpty();
    }

    private void logIn(String user, String password) {
        page.navigate(base + "/admin/queue");
        assertThat(page.url()).isEqualTo(base + "/admin/login");
        page.fill("#user", user);
        page.fill("#password", password);
        page.click("button:has-text('Log in')");
    }

    private RecipientState recipient(String id) {
        QueuedMessage m = server.queue().get(id);
        if (m == null) {
            return null;
        }
        return m.snapshot().recipients.get(0);
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    private void screenshot(String name) {
        page.screenshot(new Page.ScreenshotOptions().setPath(ReferencePagesBrowserTest.SCREENSHOTS.resolve(name))
                .setFullPage(true));
    }
}
