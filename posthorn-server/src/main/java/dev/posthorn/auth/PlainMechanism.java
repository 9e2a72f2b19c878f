package dev.posthorn.auth;

import dev.posthorn.codes.ReplyName;
import java.util.Arrays;

/**
 * PLAIN (RFC 4616): one message {@code [authzid] NUL authcid NUL passwd}. We do not let one user act
 * for another, so authzid must be empty or equal to authcid.
 */
final class PlainMechanism implements SaslMechanism {

    private static final SaslStep FAILED = new SaslStep.Failure(ReplyName.AUTH_INVALID_CREDENTIALS);

    private final CredentialStore store;
    private boolean done;

    PlainMechanism(CredentialStore store) {
        this.store = store;
    }

    @Override
    public String name() {
        return "PLAIN";
    }

    @Override
    public SaslStep respond(byte[] message) {
        if (done || message == null) {
            return FAILED;
        }
        done = true;
        int first = indexOf(message, 0);
        int second = first < 0 ? -1 : indexOf(message, first + 1);
        if (second < 0 || indexOf(message, second + 1) >= 0) {
            return FAILED;
        }
        String authzid = Utf8.decode(message, 0, first);
        String authcid = Utf8.decode(message, first + 1, second);
        char[] password = Utf8.decodeChars(message, second + 1, message.length);
        try {
            // RFC 4616 §2: authcid and passwd are non-empty; UTF-8 throughout.
            if (authzid == null || authcid == null || password == null || authcid.isEmpty() || password.length == 0) {
                return FAILED;
            }
            if (!authzid.isEmpty() && !authzid.equals(authcid)) {
                return FAILED;
            }
            return store.verifyPassword(authcid, password) ? new SaslStep.Success(store.canonicalName(authcid))
                    : new SaslStep.Failure(ReplyName.AUTH_INVALID_CREDENTIALS, authcid);
        } finally {
            if (password != null) {
                Arrays.fill(password, '\0');
            }
        }
    }

    private static int indexOf(byte[] data, int from) {
        for (int i = from; i < data.length; i++) {
            if (data[i] == 0) {
                return i;
            }
        }
        return -1;
    }
}
