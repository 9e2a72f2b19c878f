package dev.posthorn.auth;

import dev.posthorn.codes.ReplyName;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * LOGIN (draft-murchison-sasl-login): the server asks "Username:" then "Password:". A client may send
 * the user name as initial response ({@code AUTH LOGIN dXNlcg==}), which skips the first challenge.
 */
final class LoginMechanism implements SaslMechanism {

    private static final SaslStep FAILED = new SaslStep.Failure(ReplyName.AUTH_INVALID_CREDENTIALS);
    private static final byte[] USERNAME = "Username:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PASSWORD = "Password:".getBytes(StandardCharsets.US_ASCII);

    private final CredentialStore store;
    private String user;
    private boolean done;

    LoginMechanism(CredentialStore store) {
        this.store = store;
    }

    @Override
    public String name() {
        return "LOGIN";
    }

    @Override
    public SaslStep start(byte[] initialResponse) {
        if (initialResponse == null) {
            return new SaslStep.Challenge(USERNAME);
        }
        return respond(initialResponse);
    }

    @Override
    public SaslStep respond(byte[] response) {
        if (done || response == null) {
            return FAILED;
        }
        if (user == null) {
            user = Utf8.decode(response, 0, response.length);
            if (user == null || user.isEmpty()) {
                done = true;
                return FAILED;
            }
            return new SaslStep.Challenge(PASSWORD);
        }
        done = true;
        char[] password = Utf8.decodeChars(response, 0, response.length);
        if (password == null || password.length == 0) {
            return FAILED;
        }
        try {
            return store.verifyPassword(user, password) ? new SaslStep.Success(store.canonicalName(user))
                    : new SaslStep.Failure(ReplyName.AUTH_INVALID_CREDENTIALS, user);
        } finally {
            Arrays.fill(password, '\0');
        }
    }
}
