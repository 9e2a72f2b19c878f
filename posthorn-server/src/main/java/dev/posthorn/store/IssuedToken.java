package dev.posthorn.store;

/** A token just created: its record and the secret, which exists only here and is never stored. */
public record IssuedToken(ApiToken token, String secret) {

    @Override
    public String toString() {
        // A token in a log line is as good as a password.
        return "IssuedToken[" + token + ", secret=********]";
    }
}
