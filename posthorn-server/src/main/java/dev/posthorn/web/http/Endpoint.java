package dev.posthorn.web.http;

/** Answers one route. Runs on a virtual thread; may block. An exception becomes a logged 500. */
@FunctionalInterface
public interface Endpoint {
    WebResponse handle(WebRequest request) throws Exception;
}
