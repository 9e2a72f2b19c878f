package dev.posthorn.store;

/** Connection details as they may be printed: without parameters, which can carry a password. */
public final class Redaction {

    private Redaction() {
    }

    /** {@code jdbc:postgresql://db:5432/posthorn?password=x} becomes {@code jdbc:postgresql://db:5432/posthorn}. */
    public static String url(String url) {
        if (url == null) {
            return null;
        }
        int query = url.indexOf('?');
        return query < 0 ? url : url.substring(0, query) + "?...";
    }
}
