package dev.posthorn.auth;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.codes.ReplyName;
import dev.posthorn.store.UserStore;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlainAndLoginTest {

    /** A refused exchange answers 535 5.7.8, whatever user it names. */
    private static void invalidCredentials(SaslStep step) {
        assertThat(step).isInstanceOfSatisfying(SaslStep.Failure.class,
                failure -> assertThat(failure.reply()).isEqualTo(ReplyName.AUTH_INVALID_CREDENTIALS));
    }

    @TempDir
    Path dir;
    private SaslMechanisms mechanisms;

    @BeforeEach
    void users() throws Exception {
        UserStore users = UserStore.open(dir);
        users.add("alice@example.org", "wonderland".toCharArray());
        users.addAlias("alice@example.org", "a@example.org");
        users.add("nologin@example.org", null);
        // doveadm pw -s SHA512-CRYPT -p 'correct horse'
        Path passwd = dir.resolve("passwd");
        Files.writeString(passwd, """
                # Dovecot passwd-file
                bob:{SHA512-CRYPT}$6$YNVkekNdBAcxPMSj$RZJXQ.roK9.QwUM2HlAEgBf6/wPzSeIg20uW8SMVzFcq.kbihdrbfobJgth7RvbF5GTuEAl1EryvYj36Raxg0.:1000:1000::/home/bob::
                """);
        mechanisms = new SaslMechanisms(CredentialStore.of(users, new PasswdFile(passwd)));
    }

    @Test
    void plainAndLoginAreOfferedOnlyInsideTls() {
        assertThat(mechanisms.advertised(false)).containsExactly("SCRAM-SHA-256");
        assertThat(mechanisms.advertised(true)).containsExactly("SCRAM-SHA-256", "PLAIN", "LOGIN");
        assertThat(mechanisms.create("PLAIN", false)).isEmpty();
        assertThat(mechanisms.create("login", false)).isEmpty();
        assertThat(mechanisms.create("plain", true)).map(SaslMechanism::name).contains("PLAIN");
        assertThat(mechanisms.create("Scram-Sha-256", false)).map(SaslMechanism::name).contains("SCRAM-SHA-256");
        assertThat(mechanisms.create("CRAM-MD5", true)).isEmpty();
        assertThat(mechanisms.create("SCRAM-SHA-256-PLUS", true)).isEmpty();
    }

    @Test
    void plainWithInitialResponseSucceeds() {
        assertThat(plain().start(bytes("\0alice@example.org\0wonderland"))).isEqualTo(new SaslStep.Success("alice@example.org"));
    }

    @Test
    void plainWithoutInitialResponseSendsEmptyChallengeFirst() {
        SaslMechanism plain = plain();
        assertThat(plain.start(null)).isEqualTo(new SaslStep.Challenge(new byte[0]));
        assertThat(plain.respond(bytes("alice@example.org\0alice@example.org\0wonderland")))
                .isEqualTo(new SaslStep.Success("alice@example.org"));
    }

    @Test
    void plainIsCaseInsensitiveOnTheAddressAndAnswersWithTheAccountName() {
        assertThat(plain().start(bytes("\0Alice@EXAMPLE.org\0wonderland"))).isEqualTo(new SaslStep.Success("alice@example.org"));
        assertThat(plain().start(bytes("\0BOB\0correct horse"))).as("passwd-file names stay as given").isEqualTo(new SaslStep.Success("BOB"));
    }

    @Test
    void plainFailures() {
        String[] messages = {
            "\0alice@example.org\0wrong",                      // wrong password
            "bob\0alice@example.org\0wonderland",              // authzid names someone else
            "\0a@example.org\0wonderland",                     // aliases do not log in
            "\0nologin@example.org\0",                         // empty password
            "\0nobody@example.org\0wonderland",                // unknown user
            "alice@example.org\0wonderland",                   // one NUL only
            "\0alice@example.org\0wonderland\0",               // three NULs
            "\0\0wonderland",                                  // empty authcid
        };
        for (String m : messages) {
            assertThat(plain().start(bytes(m))).as(m.replace('\0', '|')).satisfies(PlainAndLoginTest::invalidCredentials);
        }
        assertThat(plain().start(new byte[0])).satisfies(PlainAndLoginTest::invalidCredentials);
        assertThat(plain().start(new byte[] {0, 'a', 0, (byte) 0xc3})).satisfies(PlainAndLoginTest::invalidCredentials);
    }

    @Test
    void plainAgainstPasswdFileUser() {
        assertThat(plain().start(bytes("\0bob\0correct horse"))).isEqualTo(new SaslStep.Success("bob"));
        assertThat(plain().start(bytes("\0bob\0wrong horse"))).satisfies(PlainAndLoginTest::invalidCredentials);
    }

    @Test
    void loginAsksForUserThenPassword() {
        SaslMechanism login = mechanisms.create("LOGIN", true).orElseThrow();
        assertThat(login.start(null)).isEqualTo(new SaslStep.Challenge(bytes("Username:")));
        assertThat(login.respond(bytes("alice@example.org"))).isEqualTo(new SaslStep.Challenge(bytes("Password:")));
        assertThat(login.respond(bytes("wonderland"))).isEqualTo(new SaslStep.Success("alice@example.org"));
    }

    @Test
    void loginWithUserAsInitialResponse() {
        SaslMechanism login = mechanisms.create("LOGIN", true).orElseThrow();
        assertThat(login.start(bytes("bob"))).isEqualTo(new SaslStep.Challenge(bytes("Password:")));
        assertThat(login.respond(bytes("correct horse"))).isEqualTo(new SaslStep.Success("bob"));
    }

    @Test
    void loginWrongPasswordFailsAndTheExchangeIsOver() {
        SaslMechanism login = mechanisms.create("LOGIN", true).orElseThrow();
        login.start(null);
        login.respond(bytes("alice@example.org"));
        assertThat(login.respond(bytes("nope"))).satisfies(PlainAndLoginTest::invalidCredentials);
        assertThat(login.respond(bytes("wonderland"))).satisfies(PlainAndLoginTest::invalidCredentials);
    }

    @Test
    void scramForPasswdFileUserFailsBecauseNoScramCredentialsExist() {
        ScramClient client = new ScramClient("bob", "correct horse", "n,,");
        SaslMechanism scram = mechanisms.create("SCRAM-SHA-256", true).orElseThrow();
        SaslStep first = scram.start(client.first());
        assertThat(scram.respond(client.finalMessage(((SaslStep.Challenge) first).data()))).satisfies(PlainAndLoginTest::invalidCredentials);
    }

    private SaslMechanism plain() {
        return mechanisms.create("PLAIN", true).orElseThrow();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(UTF_8);
    }
}
