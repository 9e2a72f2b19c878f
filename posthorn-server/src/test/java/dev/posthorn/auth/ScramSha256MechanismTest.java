package dev.posthorn.auth;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.codes.ReplyName;
import dev.posthorn.store.ScramCredentials;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ScramSha256MechanismTest {

    /** A refused exchange answers 535 5.7.8, whatever user it names. */
    private static void invalidCredentials(SaslStep step) {
        assertThat(step).isInstanceOfSatisfying(SaslStep.Failure.class,
                failure -> assertThat(failure.reply()).isEqualTo(ReplyName.AUTH_INVALID_CREDENTIALS));
    }

    /** Credentials as RFC 7677 §3 has them: user "user", password "pencil", its salt and 4096 iterations. */
    private static final CredentialStore RFC7677 = new FixedScramUsers(Map.of("user",
            ScramCredentials.derive("pencil".toCharArray(), Base64.getDecoder().decode("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096)));
    private static final String SERVER_NONCE = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";

    @Test
    void rfc7677ExampleExchange() {
        ScramSha256Mechanism scram = new ScramSha256Mechanism(RFC7677, SERVER_NONCE);

        assertThat(scram.start(null)).isEqualTo(challenge(""));
        assertThat(scram.respond(bytes("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"))).isEqualTo(challenge(
                "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"));
        assertThat(scram.respond(bytes("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                + "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="))).isEqualTo(challenge(
                "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="));
        assertThat(scram.respond(new byte[0])).isEqualTo(new SaslStep.Success("user"));
    }

    @Test
    void rfc7677ExampleAsInitialResponse() {
        ScramSha256Mechanism scram = new ScramSha256Mechanism(RFC7677, SERVER_NONCE);
        assertThat(scram.start(bytes("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"))).isInstanceOf(SaslStep.Challenge.class);
        assertThat(scram.respond(bytes("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                + "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="))).isInstanceOf(SaslStep.Challenge.class);
    }

    @Test
    void wrongProofFails() {
        ScramSha256Mechanism scram = new ScramSha256Mechanism(RFC7677, SERVER_NONCE);
        scram.respond(bytes("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"));
        assertThat(scram.respond(bytes("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                + "p=eHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="))).satisfies(ScramSha256MechanismTest::invalidCredentials);
    }

    @Test
    void fullExchangeWithTestClientAgainstRealUserStore(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        dev.posthorn.store.UserStore users = dev.posthorn.store.UserStore.open(dir);
        users.add("Alice@Example.org", "wonderland".toCharArray());
        SaslMechanisms mechanisms = new SaslMechanisms(CredentialStore.of(users, null));

        ScramClient client = new ScramClient("alice@example.org", "wonderland", "n,,");
        SaslMechanism server = mechanisms.create("scram-sha-256", false).orElseThrow();
        SaslStep first = server.start(client.first());
        SaslStep second = server.respond(client.finalMessage(((SaslStep.Challenge) first).data()));
        assertThat(second).isInstanceOf(SaslStep.Challenge.class);
        assertThat(client.serverSignatureValid(((SaslStep.Challenge) second).data())).isTrue();
        assertThat(server.respond(new byte[0])).isEqualTo(new SaslStep.Success("alice@example.org"));
    }

    @Test
    void wrongPasswordAndUnknownUserLookTheSameUntilTheProof(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        dev.posthorn.store.UserStore users = dev.posthorn.store.UserStore.open(dir);
        users.add("alice@example.org", "wonderland".toCharArray());
        CredentialStore store = CredentialStore.of(users, null);
        for (String user : new String[] {"alice@example.org", "mallory@example.org"}) {
            ScramClient client = new ScramClient(user, "guess", "y,,");
            ScramSha256Mechanism server = new ScramSha256Mechanism(store);
            SaslStep first = server.start(client.first());
            assertThat(first).as(user).isInstanceOf(SaslStep.Challenge.class);
            assertThat(new String(((SaslStep.Challenge) first).data(), UTF_8)).matches("r=[^,]+,s=[A-Za-z0-9+/=]{24},i=4096");
            assertThat(server.respond(client.finalMessage(((SaslStep.Challenge) first).data()))).as(user).satisfies(ScramSha256MechanismTest::invalidCredentials);
        }
    }

    @Test
    void authzidEqualToUserIsAcceptedOtherAuthzidIsNot() {
        ScramClient same = new ScramClient("user", "pencil", "n,a=user,");
        ScramSha256Mechanism server = new ScramSha256Mechanism(RFC7677);
        SaslStep first = server.start(same.first());
        SaslStep second = server.respond(same.finalMessage(((SaslStep.Challenge) first).data()));
        assertThat(second).isInstanceOf(SaslStep.Challenge.class);

        assertThat(new ScramSha256Mechanism(RFC7677).start(bytes("n,a=admin,n=user,r=abc"))).satisfies(ScramSha256MechanismTest::invalidCredentials);
    }

    @Test
    void malformedMessagesFailWithoutThrowing() {
        String[] firsts = {"p=tls-unique,,n=user,r=abc", "n,,m=ext,n=user,r=abc", "n,,n=user", "n,,r=abc,n=user",
            "x,,n=user,r=abc", "n,,n=us=41r,r=abc", "n,,n=,r=abc", "n,,n=user,r=", "", "n", "n,n=user,r=abc"};
        for (String first : firsts) {
            assertThat(new ScramSha256Mechanism(RFC7677).start(bytes(first))).as(first).satisfies(ScramSha256MechanismTest::invalidCredentials);
        }
        assertThat(new ScramSha256Mechanism(RFC7677).start(new byte[0])).satisfies(ScramSha256MechanismTest::invalidCredentials);
        assertThat(new ScramSha256Mechanism(RFC7677).start(new byte[] {(byte) 0xff, ',', ','})).satisfies(ScramSha256MechanismTest::invalidCredentials);

        String[] finals = {"c=biws,r=WRONGNONCE,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
            "c=eSws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=!!!",
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzb",
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,c=biws,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="};
        for (String fin : finals) {
            ScramSha256Mechanism scram = new ScramSha256Mechanism(RFC7677, SERVER_NONCE);
            scram.respond(bytes("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"));
            assertThat(scram.respond(bytes(fin))).as(fin).satisfies(ScramSha256MechanismTest::invalidCredentials);
            assertThat(scram.respond(new byte[0])).as("after failure").satisfies(ScramSha256MechanismTest::invalidCredentials);
        }
    }

    @Test
    void nonEmptyAnswerToServerFinalFails() {
        ScramSha256Mechanism scram = new ScramSha256Mechanism(RFC7677, SERVER_NONCE);
        scram.respond(bytes("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"));
        scram.respond(bytes("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                + "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="));
        assertThat(scram.respond(bytes("extra"))).satisfies(ScramSha256MechanismTest::invalidCredentials);
    }

    @Test
    void serverNoncesAreFreshPerExchange() {
        String a = new String(((SaslStep.Challenge) new ScramSha256Mechanism(RFC7677).start(bytes("n,,n=user,r=x"))).data(), UTF_8);
        String b = new String(((SaslStep.Challenge) new ScramSha256Mechanism(RFC7677).start(bytes("n,,n=user,r=x"))).data(), UTF_8);
        assertThat(a).startsWith("r=x").isNotEqualTo(b);
    }

    @Test
    void saslNamesDecodeCommaAndEquals() {
        assertThat(ScramSha256Mechanism.saslName("a=2Cb=3Dc")).isEqualTo("a,b=c");
        assertThat(ScramSha256Mechanism.saslName("a=41")).isNull();
    }

    private static SaslStep challenge(String text) {
        return new SaslStep.Challenge(bytes(text));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(UTF_8);
    }

    /** A credential source holding only SCRAM credentials (the RFC's salt cannot be given to UserStore). */
    record FixedScramUsers(Map<String, ScramCredentials> users) implements CredentialStore {
        @Override
        public boolean verifyPassword(String user, char[] password) {
            return false;
        }

        @Override
        public Optional<ScramCredentials> scram(String user) {
            return Optional.ofNullable(users.get(user));
        }

        @Override
        public Set<String> addressesOf(String user) {
            return Set.of();
        }
    }
}
