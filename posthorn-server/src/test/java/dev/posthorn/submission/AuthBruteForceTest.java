package dev.posthorn.submission;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.smtp.protocol.ListenerRole;
import dev.posthorn.store.UserStore;
import dev.posthorn.testing.RunningServer;
import dev.posthorn.testing.SmtpWire;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An AUTH brute force against one user from many loopback addresses (127.0.0.0/8 is all this machine), with the
 * throttle at its documented defaults (docs/configuration.md [auth]): 5 failures per address, 10 per user, a
 * disconnect at 10 per address. The delay before 454 is 0 here only to keep the test fast (its wait is tested
 * in SubmissionThrottleTest). The attacker gets answers to 10 guesses in all, however many addresses it uses;
 * after that every guess gets 454, the right one too, so nothing is learnt; other users are not locked out.
 */
class AuthBruteForceTest {

    static final String INVALID = "535 5.7.8 Authentication credentials invalid";
    static final String THROTTLED = "454 4.7.0 Too many failed authentications, try again later";
    static final String DISCONNECTED = "421 4.7.0 mx.posthorn.test Too many failed authentications";
    static final String OK = "235 2.7.0 Authentication successful";

    @Test
    void guessesFromManyAddressesAreAnsweredTenTimesThenNeverAgain(@TempDir Path dir) throws Exception {
        UserStore users = UserStore.open(dir);
        users.add("alice@posthorn.test", "the right one".toCharArray());
        users.add("carol@posthorn.test", "carols password".toCharArray());
        try (RunningServer server = RunningServer.start(dir, c -> c.auth.throttleDelaySeconds = 0)) {
            int port = server.port(ListenerRole.SUBMISSIONS);
            List<List<String>> answers = new ArrayList<>();
            for (int a = 0; a < 4; a++) {
                answers.add(attack(InetAddress.getByName("127.0.0." + (21 + a)), port, 7));
            }
            // Per address: 5 guesses answered, then throttled.
            assertThat(answers.get(0)).containsExactly(INVALID, INVALID, INVALID, INVALID, INVALID, THROTTLED,
                    THROTTLED);
            assertThat(answers.get(1)).containsExactly(INVALID, INVALID, INVALID, INVALID, INVALID, THROTTLED,
                    THROTTLED);
            // Per user: after 10 failures in all, fresh addresses get no answer either.
            for (int a = 2; a < 4; a++) {
                assertThat(answers.get(a)).as("attacker %d", a).containsOnly(THROTTLED);
            }
            long answered = answers.stream().flatMap(List::stream).filter(INVALID::equals).count();
            assertThat(answered).as("guesses the attacker got an answer to").isEqualTo(10);

            // The right password from yet another address: 454 as well, so it cannot be told from a wrong one.
            try (SmtpWire wire = login(InetAddress.getByName("127.0.0.99"), port)) {
                assertThat(wire.command("AUTH PLAIN " + SmtpWire.plain("alice@posthorn.test", "the right one")))
                        .isEqualTo(THROTTLED);
            }
            // Another user is not locked out.
            try (SmtpWire wire = login(InetAddress.getByName("127.0.0.98"), port)) {
                assertThat(wire.command("AUTH PLAIN " + SmtpWire.plain("carol@posthorn.test", "carols password")))
                        .isEqualTo(OK);
            }
            // An address that keeps trying (throttled attempts count too) is disconnected once it has 10.
            try (SmtpWire wire = login(InetAddress.getByName("127.0.0.21"), port)) {
                for (int attempt = 8; attempt <= 10; attempt++) {
                    assertThat(wire.command("AUTH PLAIN " + SmtpWire.plain("alice@posthorn.test", "guess " + attempt)))
                            .isEqualTo(THROTTLED);
                }
                assertThat(wire.command("AUTH PLAIN " + SmtpWire.plain("alice@posthorn.test", "guess 11")))
                        .isEqualTo(DISCONNECTED);
                assertThat(wire.closedByServer()).isTrue();
            }
        }
    }

    /** One connection from {@code from}, {@code guesses} wrong passwords for alice; the replies. */
    private static List<String> attack(InetAddress from, int port, int guesses) throws IOException {
        List<String> replies = new ArrayList<>();
        try (SmtpWire wire = login(from, port)) {
            for (int i = 0; i < guesses; i++) {
                replies.add(wire.command("AUTH PLAIN " + SmtpWire.plain("alice@posthorn.test", "guess " + from + " " + i)));
            }
        }
        return replies;
    }

    private static SmtpWire login(InetAddress from, int port) throws IOException {
        SmtpWire wire = SmtpWire.connectTlsFrom(from, port);
        assertThat(wire.reply()).startsWith("220 ");
        assertThat(wire.command("EHLO client.test")).startsWith("250-");
        return wire;
    }
}
