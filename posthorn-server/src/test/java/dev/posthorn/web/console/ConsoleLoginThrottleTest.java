package dev.posthorn.web.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.config.PosthornConfig;
import dev.posthorn.server.PosthornServer;
import dev.posthorn.smtp.protocol.ListenerRole;
import dev.posthorn.testing.Logins;
import dev.posthorn.testing.RunningServer;
import dev.posthorn.testing.TestConfigs;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The console's login and SMTP AUTH share one throttle: wrong passwords on the console make the submission port
 * answer {@code 454 4.7.0} to the right one from the same address, and the console refuses even the right
 * password while the address is throttled.
 */
class ConsoleLoginThrottleTest extends ConsoleFixture<PosthornServer> {

    private static final String PASSWORD = "the right password";

    ConsoleLoginThrottleTest() {
        super(PASSWORD);
    }

    @Override
    PosthornServer startServer(Path dir) throws Exception {
        PosthornConfig c = TestConfigs.onFreePorts(dir.resolve("data"));
        c.listen.smtpsPort = RunningServer.freePort();
        c.auth.throttleDelaySeconds = 1;
        c.mailauth.enabled = false;
        return PosthornServer.start(c);
    }

    @Override
    PosthornServer posthorn(PosthornServer server) {
        return server;
    }

    @Test
    void wrongPasswordsOnTheConsoleThrottleSmtpAuthFromTheSameAddress() throws Exception {
        int limit = new PosthornConfig().auth.maxFailuresPerIp;
        for (int i = 0; i < limit; i++) {
            assertThat(login("wrong password " + i).statusCode()).isEqualTo(401);
        }
        HttpResponse<String> throttled = login(PASSWORD);
        assertThat(throttled.statusCode()).as("the right password, while throttled").isEqualTo(429);
        assertThat(throttled.headers().firstValue("set-cookie").orElse("")).doesNotContain("posthorn_console=");
        assertThat(Logins.plain(server.port(ListenerRole.SUBMISSIONS), ADMIN, PASSWORD))
                .startsWith("454 4.7.0 ");
    }

    @Test
    void theRightPasswordLogsInWithASessionCookie() throws Exception {
        HttpResponse<String> ok = login(PASSWORD);
        assertThat(ok.statusCode()).isEqualTo(303);
        assertThat(ok.headers().firstValue("location")).hasValue("/admin/queue");
        assertThat(ok.headers().firstValue("set-cookie").orElse(""))
                .startsWith("posthorn_console=").contains("HttpOnly", "SameSite=Strict", "Path=/;");
    }
}
