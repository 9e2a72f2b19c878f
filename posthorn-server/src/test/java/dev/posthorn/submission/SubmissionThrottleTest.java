package dev.posthorn.submission;

import static dev.posthorn.submission.SubmissionConformanceTest.AUTH_OK;
import static dev.posthorn.submission.SubmissionConformanceTest.INVALID_CREDENTIALS;
import static dev.posthorn.submission.SubmissionConformanceTest.OK;
import static dev.posthorn.submission.SubmissionConformanceTest.b64;
import static dev.posthorn.submission.SubmissionConformanceTest.plain;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.posthorn.smtp.protocol.ListenerRole;
import dev.posthorn.store.UserStore;
import dev.posthorn.testing.RunningServer;
import dev.posthorn.testing.SmtpWire;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The AUTH brute-force throttle on the submission ports: failures counted per IP and per user; past the limit
 * {@code 454 4.7.0} after a delay, then {@code 421 4.7.0} and the connection closed; the log names the IP and
 * the user and never the password. Each test has its own server, since the counts are server-wide.
 */
class SubmissionThrottleTest {

    static final String HOST = "mx.posthorn.test";
    static final String THROTTLED = "454 4.7.0 Too many failed authentications, try again later";
    static final String DISCONNECTED = "421 4.7.0 " + HOST + " Too many failed authentications";
    static final String SECRET_GUESS = "Tr0ub4dor&3-guess";

    @TempDir
    Path dataDir;
    ListAppender<ILoggingEvent> log;
    Logger posthorn;
    ch.qos.logback.classic.Level previousLevel;

    @BeforeEach
    void captureLog() {
        UserStore users = UserStore.open(dataDir);
        users.add("alice@posthorn.test", "right password".toCharArray());
        users.add("carol@posthorn.test", "carols password".toCharArray());
        // Everything Posthorn logs, down to DEBUG (each command and TLS event), captured and kept off the console.
        posthorn = (Logger) LoggerFactory.getLogger("dev.posthorn");
        previousLevel = posthorn.getLevel();
        posthorn.setLevel(ch.qos.logback.classic.Level.DEBUG);
        posthorn.setAdditive(false);
        log = new ListAppender<>();
        log.start();
        posthorn.addAppender(log);
    }

    @AfterEach
    void stopCapturing() {
        posthorn.detachAppender(log);
        posthorn.setAdditive(true);
        posthorn.setLevel(previousLevel);
    }

    private RunningServer server(int perIp, int perUser, int disconnectAfter) {
        return RunningServer.start(dataDir, c -> {
            c.auth.maxFailuresPerIp = perIp;
            c.auth.maxFailuresPerUser = perUser;
            c.auth.disconnectAfterFailures = disconnectAfter;
            c.auth.throttleDelaySeconds = 1;
        });
    }

    private static SmtpWire implicitTls(RunningServer server) throws IOException {
        SmtpWire wire = SmtpWire.connectTls(server.port(ListenerRole.SUBMISSIONS));
        wire.reply();
        assertThat(wire.command("EHLO client.test")).startsWith("250-");
        return wire;
    }

    private static SmtpWire startTls(RunningServer server) throws IOException {
        SmtpWire plain = SmtpWire.connect(server.port(ListenerRole.SUBMISSION));
        plain.reply();
        plain.command("EHLO client.test");
        assertThat(plain.command("STARTTLS")).isEqualTo("220 2.0.0 Ready to start TLS");
        SmtpWire wire = plain.startTls();
        assertThat(wire.command("EHLO client.test")).startsWith("250-");
        return wire;
    }

    @Test
    void pastThePerIpLimit454AfterADelayThen421AndClose() throws IOException {
        try (RunningServer server = server(2, 100, 4); SmtpWire wire = startTls(server)) {
            assertThat(wire.command("AUTH PLAIN " + plain("alice@posthorn.test", SECRET_GUESS)))
                    .isEqualTo(INVALID_CREDENTIALS);
            assertThat(wire.command("AUTH LOGIN " + b64("alice@posthorn.test"))).startsWith("334 ");
            assertThat(wire.command(b64(SECRET_GUESS))).isEqualTo(INVALID_CREDENTIALS);
            // Past the limit: a delay, then 454; even the right password is not tried now.
            long started = System.nanoTime();
            assertThat(wire.command("AUTH PLAIN " + plain("alice@posthorn.test", "right password")))
                    .isEqualTo(THROTTLED);
            assertThat((System.nanoTime() - started) / 1_000_000).isGreaterThanOrEqualTo(900);
            assertThat(wire.command("NOOP")).isEqualTo(OK);
            assertThat(wire.command("AUTH PLAIN " + plain("alice@posthorn.test", SECRET_GUESS))).isEqualTo(THROTTLED);
            // The client keeps trying: 421 and the connection is closed.
            assertThat(wire.command("AUTH PLAIN " + plain("alice@posthorn.test", SECRET_GUESS)))
                    .isEqualTo(DISCONNECTED);
            assertThat(wire.closedByServer()).isTrue();
        }
    }

    @Test
    void theIpStaysBlockedOnANewConnectionAndOnTheOtherPort() throws IOException {
        try (RunningServer server = server(2, 100, 3)) {
            try (SmtpWire wire = implicitTls(server)) {
                for (int i = 0; i < 2; i++) {
                    assertThat(wire.command("AUTH PLAIN " + plain("alice@posthorn.test", SECRET_GUESS)))
                            .isEqualTo(INVALID_CREDENTIALS);
                }
                assertThat(wire.command("AUTH PLAIN " + plain("alice@posthorn.test", SECRET_GUESS)))
                        .isEqualTo(THROTTLED);
            }
            try (SmtpWire wire = startTls(server)) {
                assertThat(wire.command("AUTH PLAIN " + plain("carol@posthorn.test", "carols password")))
                        .isEqualTo(DISCONNECTED);
                assertThat(wire.closedByServer()).isTrue();
            }
        }
    }

    @Test
    void aUserUnderAttackIsRefusedFromAnywhereUntilTheWindowPasses() throws IOException {
        // Per user: the limit is reached (here from one address, as a test can only use loopback) and then the
        // right password for that user gets 454 while other users still get in.
        try (RunningServer server = server(100, 2, 100); SmtpWire wire = implicitTls(server)) {
            for (int i = 0; i < 2; i++) {
                assertThat(wire.command("AUTH PLAIN " + plain("alice@posthorn.test", SECRET_GUESS)))
                        .isEqualTo(INVALID_CREDENTIALS);
            }
            assertThat(wire.command("AUTH PLAIN " + plain("alice@posthorn.test", "right password")))
                    .isEqualTo(THROTTLED);
            assertThat(wire.command("AUTH PLAIN " + plain("carol@posthorn.test", "carols password")))
                    .isEqualTo(AUTH_OK);
        }
    }

    @Test
    void theLogNamesIpAndUserButNeverThePassword() throws IOException {
        try (RunningServer server = server(100, 100, 100); SmtpWire wire = implicitTls(server)) {
            assertThat(wire.command("AUTH PLAIN " + plain("alice@posthorn.test", SECRET_GUESS)))
                    .isEqualTo(INVALID_CREDENTIALS);
            assertThat(wire.command("AUTH LOGIN")).startsWith("334 ");
            assertThat(wire.command(b64("alice@posthorn.test"))).startsWith("334 ");
            assertThat(wire.command(b64(SECRET_GUESS))).isEqualTo(INVALID_CREDENTIALS);
            assertThat(wire.command("AUTH PLAIN " + plain("alice@posthorn.test", "right password")))
                    .isEqualTo(AUTH_OK);
        }
        List<String> lines = log.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        assertThat(lines).anyMatch(l -> l.contains("auth failure") && l.contains("ip=127.0.0.1")
                && l.contains("user=alice@posthorn.test"));
        assertThat(lines).anyMatch(l -> l.contains("auth success") && l.contains("user=alice@posthorn.test"));
        for (String secret : List.of(SECRET_GUESS, b64(SECRET_GUESS), "right password", b64("right password"),
                plain("alice@posthorn.test", SECRET_GUESS))) {
            assertThat(lines).noneMatch(l -> l.contains(secret));
        }
    }
}
