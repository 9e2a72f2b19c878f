package dev.posthorn.web.http;

import java.util.Set;

/** The answers for requests no endpoint takes: in the site's look and language, or as JSON under the API. */
public interface Fallbacks {

    WebResponse notFound(WebRequest request);

    WebResponse methodNotAllowed(WebRequest request, Set<String> allowed);

    WebResponse serverError(WebRequest request);

    /** 503: too many costly requests at once; the caller adds Retry-After. */
    WebResponse busy(WebRequest request, int retryAfterSeconds);
}
