package dev.posthorn.auth;

import dev.posthorn.codes.ReplyName;
import dev.posthorn.store.ScramCredentials;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;

/**
 * SCRAM-SHA-256 (RFC 5802, RFC 7677) without channel binding: gs2 headers {@code n,,} and {@code y,,}
 * (optionally with {@code a=} equal to the user) are accepted, {@code p=} is refused since we do not
 * advertise SCRAM-SHA-256-PLUS. Any malformed message, wrong nonce or wrong proof ends in
 * {@code 535 5.7.8}. An unknown user gets a plausible salt derived from a per-process secret and fails
 * only at the proof, so the exchange does not reveal which users exist.
 *
 * <p>In SMTP the server-final message travels as a last {@code 334} challenge; the client answers it
 * with an empty line and then gets {@code 235} (RFC 4954 §4).
 */
final class ScramSha256Mechanism implements SaslMechanism {


    private static final SecureRandom RANDOM = new SecureRandom();

    private enum State { CLIENT_FIRST, CLIENT_FINAL, SERVER_FINAL_SENT, DONE }

    private final CredentialStore store;
    private final String serverNonce;
    private State state = State.CLIENT_FIRST;
    private String gs2Header;
    private String user;
    private String clientFirstBare;
    private String serverFirst;
    private String nonce;
    private ScramCredentials credentials;

    ScramSha256Mechanism(CredentialStore store) {
        this(store, randomNonce());
    }

    /** For tests: a fixed server nonce (RFC 7677 §3 example). */
    ScramSha256Mechanism(CredentialStore store, String serverNonce) {
        this.store = store;
        this.serverNonce = serverNonce;
    }

    @Override
    public String name() {
        return "SCRAM-SHA-256";
    }

    @Override
    public SaslStep respond(byte[] response) {
        State current = state;
        state = State.DONE;
        if (response == null) {
            return failed();
        }
        return switch (current) {
            case CLIENT_FIRST -> clientFirst(response);
            case CLIENT_FINAL -> clientFinal(response);
            case SERVER_FINAL_SENT -> response.length == 0 ? new SaslStep.Success(store.canonicalName(user)) : failed();
            case DONE -> failed();
        };
    }

    private SaslStep clientFirst(byte[] response) {
        String message = Utf8.decode(response, 0, response.length);
        if (message == null || message.length() < 3) {
            return failed();
        }
        // RFC 5802 §7: gs2-header = gs2-cbind-flag "," [ authzid ] ","
        char flag = message.charAt(0);
        if ((flag != 'n' && flag != 'y') || message.charAt(1) != ',') {
            return failed(); // "p=": channel binding we do not offer
        }
        int headerEnd = message.indexOf(',', 2);
        if (headerEnd < 0) {
            return failed();
        }
        String authzidField = message.substring(2, headerEnd);
        gs2Header = message.substring(0, headerEnd + 1);
        clientFirstBare = message.substring(headerEnd + 1);
        String[] attributes = clientFirstBare.split(",", -1);
        if (attributes.length < 2 || !attributes[0].startsWith("n=") || !attributes[1].startsWith("r=")) {
            return failed(); // includes a mandatory extension "m=" first, which we do not support
        }
        user = saslName(attributes[0].substring(2));
        String clientNonce = attributes[1].substring(2);
        if (user == null || user.isEmpty() || clientNonce.isEmpty()) {
            return failed();
        }
        if (!authzidField.isEmpty()) {
            String authzid = authzidField.startsWith("a=") ? saslName(authzidField.substring(2)) : null;
            if (authzid == null || !authzid.equals(user)) {
                return failed();
            }
        }
        Optional<ScramCredentials> found = store.scram(user);
        credentials = found.orElse(null);
        byte[] salt = found.map(ScramCredentials::salt).orElseGet(() -> fakeSalt(user));
        int iterations = found.map(ScramCredentials::iterations).orElse(ScramCredentials.DEFAULT_ITERATIONS);
        nonce = clientNonce + serverNonce;
        serverFirst = "r=" + nonce + ",s=" + Base64.getEncoder().encodeToString(salt) + ",i=" + iterations;
        state = State.CLIENT_FINAL;
        return new SaslStep.Challenge(serverFirst.getBytes(StandardCharsets.UTF_8));
    }

    private SaslStep clientFinal(byte[] response) {
        String message = Utf8.decode(response, 0, response.length);
        if (message == null) {
            return failed();
        }
        // RFC 5802 §7: client-final-message = client-final-message-without-proof "," proof
        int proofAt = message.lastIndexOf(",p=");
        if (proofAt < 0) {
            return failed();
        }
        String withoutProof = message.substring(0, proofAt);
        String[] attributes = withoutProof.split(",", -1);
        if (attributes.length < 2 || !attributes[0].startsWith("c=") || !attributes[1].startsWith("r=")) {
            return failed();
        }
        byte[] channelBinding;
        byte[] proof;
        try {
            channelBinding = Base64.getDecoder().decode(attributes[0].substring(2));
            proof = Base64.getDecoder().decode(message.substring(proofAt + 3));
        } catch (IllegalArgumentException e) {
            return failed();
        }
        if (!MessageDigest.isEqual(channelBinding, gs2Header.getBytes(StandardCharsets.UTF_8))
                || !attributes[1].substring(2).equals(nonce) || proof.length != 32 || credentials == null) {
            return failed();
        }
        byte[] authMessage = (clientFirstBare + "," + serverFirst + "," + withoutProof).getBytes(StandardCharsets.UTF_8);
        byte[] storedKey = credentials.storedKey();
        byte[] clientSignature = ScramCredentials.hmac(storedKey, authMessage);
        byte[] clientKey = new byte[32];
        for (int i = 0; i < 32; i++) {
            clientKey[i] = (byte) (proof[i] ^ clientSignature[i]);
        }
        if (!MessageDigest.isEqual(ScramCredentials.sha256(clientKey), storedKey)) {
            return failed();
        }
        byte[] serverSignature = ScramCredentials.hmac(credentials.serverKey(), authMessage);
        state = State.SERVER_FINAL_SENT;
        String serverFinal = "v=" + Base64.getEncoder().encodeToString(serverSignature);
        return new SaslStep.Challenge(serverFinal.getBytes(StandardCharsets.UTF_8));
    }

    /** RFC 5802 §5.1: "=2C" is ',' and "=3D" is '='; any other '=' makes the name invalid. */
    static String saslName(String encoded) {
        StringBuilder out = new StringBuilder(encoded.length());
        for (int i = 0; i < encoded.length(); i++) {
            char c = encoded.charAt(i);
            if (c == ',') {
                return null;
            }
            if (c == '=') {
                if (encoded.startsWith("=2C", i)) {
                    out.append(',');
                } else if (encoded.startsWith("=3D", i)) {
                    out.append('=');
                } else {
                    return null;
                }
                i += 2;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** From the store's shared secret: the same on every node and across restarts, as a real user's salt is. */
    private byte[] fakeSalt(String user) {
        byte[] mac = ScramCredentials.hmac(store.decoySecret(), user.getBytes(StandardCharsets.UTF_8));
        return java.util.Arrays.copyOf(mac, 16);
    }

    private static String randomNonce() {
        byte[] bytes = new byte[18];
        RANDOM.nextBytes(bytes);
        return Base64.getEncoder().encodeToString(bytes);
    }

    /** A failed exchange, naming the user once the client-first message told us who it is. */
    private SaslStep failed() {
        return new SaslStep.Failure(ReplyName.AUTH_INVALID_CREDENTIALS, user);
    }
}
