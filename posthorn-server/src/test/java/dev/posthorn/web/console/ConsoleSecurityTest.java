package dev.posthorn.web.console;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.posthorn.server.PosthornServer;
import dev.posthorn.testing.RunningServer;
import dev.posthorn.testing.SmtpWire;
import io.micrometer.core.instrument.Counter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The console's session, audit log and directory actions as an operator and an attacker meet them, in a browser's cookie jar. */
class ConsoleSecurityTest extends ConsoleFixture<RunningServer> {

    private static final String PASSWORD = "the right password";

    ConsoleSecurityTest() {
        super(PASSWORD);
    }

    @Override
    RunningServer startServer(Path dir) {
        return RunningServer.start(dir);
    }

    @Override
    PosthornServer posthorn(RunningServer server) {
        return server.server();
    }

    /** The API is authenticated by tokens or the console's session: the browser must send the session there. */
    @Test
    void theConsoleSessionReachesTheApi() throws Exception {
        assertThat(logIn().statusCode()).isEqualTo(303);
        assertThat(get("/admin/queue").statusCode()).as("logged in").isEqualTo(200);
        assertThat(get("/api/v1/queue").statusCode()).isEqualTo(200);
        String csrf = csrfOf(get("/admin/users").body());
        // A change through the API with the session but without its CSRF token is refused and changes nothing.
        HttpResponse<String> forged = apiPost("/api/v1/domains", "{\"domain\":\"forged.test\"}", null);
        assertThat(forged.statusCode()).isEqualTo(401);
        assertThat(server.server().store().directory().hostsDomain("forged.test")).isFalse();
        HttpResponse<String> wrong = apiPost("/api/v1/domains", "{\"domain\":\"forged.test\"}", "not-the-token");
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(server.server().store().directory().hostsDomain("forged.test")).isFalse();
        HttpResponse<String> sent = apiPost("/api/v1/domains", "{\"domain\":\"added.test\"}", csrf);
        assertThat(sent.statusCode()).isEqualTo(201);
        assertThat(server.server().store().directory().hostsDomain("added.test")).isTrue();
    }

    /** A password change (e.g. after a compromise) must end the account's console sessions. */
    @Test
    void aPasswordChangeEndsTheSession() throws Exception {
        assertThat(logIn().statusCode()).isEqualTo(303);
        server.server().store().directory().setPassword(ADMIN, "a new password after a leak".toCharArray());
        HttpResponse<String> after = get("/admin/queue");
        assertThat(after.statusCode()).as("the old session still opens the queue").isEqualTo(303);
    }

    /** The users page's "Delete" next to an alias, sent with an account's address, deletes the whole account. */
    @Test
    void theAliasDeleteActionDoesNotDeleteAnAccount() throws Exception {
        server.server().store().directory().add("user@posthorn.test", "user password".toCharArray(), false);
        assertThat(logIn().statusCode()).isEqualTo(303);
        String csrf = csrfOf(get("/admin/users").body());
        HttpResponse<String> r = post("/admin/users", "csrf=" + csrf + "&action=alias-delete&address="
                + URLEncoder.encode("user@posthorn.test", StandardCharsets.UTF_8));
        assertThat(r.statusCode()).isEqualTo(303);
        assertThat(server.server().store().directory().exists("user@posthorn.test"))
                .as("an alias-delete removed an account").isTrue();
    }

    /** An administrator cannot withdraw their own admin flag or delete themselves, in the console or the API. */
    @Test
    void anAdminCannotRemoveThemselves() throws Exception {
        assertThat(logIn().statusCode()).isEqualTo(303);
        String csrf = csrfOf(get("/admin/users").body());
        for (String action : new String[] {"user-admin-off", "user-delete"}) {
            HttpResponse<String> r = post("/admin/users", "csrf=" + csrf + "&action=" + action + "&address="
                    + URLEncoder.encode("Admin@posthorn.test", StandardCharsets.UTF_8));
            assertThat(r.statusCode()).as(action).isEqualTo(409);
        }
        HttpResponse<String> off = browser.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/users/" + ADMIN + "/admin"))
                .header("Content-Type", "application/json").header("X-CSRF-Token", csrf)
                .PUT(HttpRequest.BodyPublishers.ofString("{\"admin\":false}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(off.statusCode()).isEqualTo(409);
        HttpResponse<String> delete = browser.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/users/" + ADMIN))
                .header("X-CSRF-Token", csrf).DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(delete.statusCode()).isEqualTo(409);
        assertThat(server.server().store().directory().exists(ADMIN)).isTrue();
        assertThat(server.server().store().directory().isAdmin(ADMIN)).isTrue();
        // Another account's flag is still the administrator's to withdraw.
        server.server().store().directory().add("other@posthorn.test", "other password".toCharArray(), true);
        assertThat(post("/admin/users", "csrf=" + csrf + "&action=user-admin-off&address=other%40posthorn.test")
                .statusCode()).isEqualTo(303);
        assertThat(server.server().store().directory().isAdmin("other@posthorn.test")).isFalse();
    }

    /** CR/LF in an address reaches the audit log raw through the store's exception message. */
    @Test
    void anAddressWithCrLfCannotForgeAnAuditLine() throws Exception {
        ch.qos.logback.classic.Logger logger =
                (ch.qos.logback.classic.Logger) LoggerFactory.getLogger("posthorn.console");
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            String token = server.server().store().directory().createToken(ADMIN, "t", null).secret();
            String forged = "x\\r\\n2026-12-02T07:00:00.000Z INFO  console: api: actor=someone@else via=token "
                    + "action=user-delete target=boss@posthorn.test";
            HttpResponse<String> r = browser.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/users"))
                    .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"address\":\"" + forged
                            + "\",\"password\":\"p\"}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(400);
            assertThat(appender.list).isNotEmpty()
                    .allSatisfy(e -> assertThat(e.getFormattedMessage()).doesNotContain("\n").doesNotContain("\r"));
        } finally {
            logger.detachAppender(appender);
        }
    }

    /** One refused transaction (its only RCPT refused, then DATA refused) counts as one refused message. */
    @Test
    void oneRefusedTransactionIsCountedOnce() throws Exception {
        double before = rejected();
        try (SmtpWire wire = SmtpWire.connect(server.mxPort())) {
            assertThat(wire.reply()).startsWith("220 ");
            assertThat(wire.command("EHLO client.test")).startsWith("250");
            // Out of sequence: no transaction, nothing refused.
            assertThat(wire.command("DATA")).startsWith("503 ");
            assertThat(wire.command("MAIL FROM:<sender@client.test>")).startsWith("250 ");
            assertThat(wire.command("RCPT TO:<nobody@posthorn.test>")).startsWith("550 5.1.1 ");
            assertThat(wire.command("DATA")).startsWith("5");
            assertThat(wire.command("QUIT")).startsWith("221 ");
        }
        assertThat(rejected() - before).as("posthorn_messages_rejected_total for one refused transaction")
                .isEqualTo(1);
    }


    private double rejected() {
        return server.server().metrics().registry().find("posthorn.messages.rejected").counters().stream()
                .mapToDouble(Counter::count).sum();
    }
}
