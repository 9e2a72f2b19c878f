package dev.posthorn.web.http;

/** How long a response may be kept, and by whom (RFC 9111 §5.2.2). */
public enum Caching {
    /** Pages that change only with a new release: an hour, then revalidated with the ETag. */
    PAGE("public, max-age=3600"),
    /** Content-addressed assets: the name changes when the content does. */
    IMMUTABLE("public, max-age=31536000, immutable"),
    /** Answers chosen by a request header (Accept-Language): only the browser may keep them. */
    PRIVATE("private, max-age=600"),
    /** What the user pasted, errors: never stored. */
    NONE("no-store");

    private final String header;

    Caching(String header) {
        this.header = header;
    }

    public String header() {
        return header;
    }

    /** Whether an ETag is worth computing: a cached copy can be revalidated for free. */
    public boolean revalidates() {
        return this == PAGE || this == IMMUTABLE;
    }
}
