package dev.posthorn.web.http;

/** Answers one route. Runs on one of the web server's platform threads; may block. An exception becomes a logged 500. */
@FunctionalInterface
public interface Endpoint {
    WebResponse handle(WebRequest request) throws Exception;
}
