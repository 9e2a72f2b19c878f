package dev.posthorn.auth;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.posthorn.store.ScramCredentials;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import java.util.Set;

/**
 * Coverage-guided fuzzing of the SASL mechanisms, server side (PLAIN, LOGIN, SCRAM-SHA-256): any sequence of
 * client messages gives challenges and finally success or failure, never an exception; and success comes only
 * with the right password (PLAIN, LOGIN) or a valid proof (SCRAM, which a fuzzer cannot forge: a SCRAM success
 * is a finding). Regression inputs in {@code SaslFuzzTestInputs/}; {@code JAZZER_FUZZ=1} fuzzes.
 */
class SaslFuzzTest {

    private static final String USER = "alice@posthorn.test";
    private static final String PASSWORD = "correct horse";
    private static final ScramCredentials SCRAM = ScramCredentials.derive(PASSWORD.toCharArray(),
            Base64.getDecoder().decode("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096);

    private static final CredentialStore STORE = new CredentialStore() {
        @Override
        public boolean verifyPassword(String user, char[] password) {
            return USER.equalsIgnoreCase(user) && PASSWORD.equals(new String(password));
        }

        @Override
        public Optional<ScramCredentials> scram(String user) {
            return USER.equalsIgnoreCase(user) ? Optional.of(SCRAM) : Optional.empty();
        }

        @Override
        public Set<String> addressesOf(String user) {
            return Set.of(USER);
        }
    };

    private static final String[] NAMES = {SaslMechanisms.PLAIN, SaslMechanisms.LOGIN, SaslMechanisms.SCRAM_SHA_256};

    @FuzzTest(maxDuration = "3m")
    void anyExchangeEndsInChallengeSuccessOrFailureAndSucceedsOnlyWithTheSecret(FuzzedDataProvider data) {
        String name = NAMES[data.consumeInt(0, NAMES.length - 1)];
        SaslMechanism mechanism = new SaslMechanisms(STORE).create(name, true).orElseThrow();
        boolean sawPassword = false;
        byte[] initial = data.consumeBoolean() ? null : data.consumeBytes(data.consumeInt(0, 2000));
        sawPassword |= containsPassword(initial);
        SaslStep step = mechanism.start(initial);
        for (int round = 0; round < 6 && step instanceof SaslStep.Challenge && data.remainingBytes() > 0; round++) {
            byte[] response = data.consumeBytes(data.consumeInt(0, 2000));
            sawPassword |= containsPassword(response);
            step = mechanism.respond(response);
        }
        if (step instanceof SaslStep.Success success) {
            if (!success.identity().equalsIgnoreCase(USER)) {
                throw new AssertionError(name + " succeeded as " + success.identity());
            }
            if (name.equals(SaslMechanisms.SCRAM_SHA_256) || !sawPassword) {
                throw new AssertionError(name + " succeeded without the password");
            }
        }
        // A finished exchange stays finished.
        if (!(step instanceof SaslStep.Challenge) && mechanism.respond(new byte[0]) instanceof SaslStep.Success) {
            throw new AssertionError(name + " succeeded after the exchange ended");
        }
    }

    private static boolean containsPassword(byte[] message) {
        return message != null && new String(message, StandardCharsets.UTF_8).contains(PASSWORD);
    }
}
