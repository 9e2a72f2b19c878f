package dev.posthorn.web;

import dev.posthorn.config.PosthornConfig;

/**
 * Where and how the web server listens.
 *
 * @param port      0 for an ephemeral port (tests); {@code posthorn serve} skips the server when the config says 0
 * @param publicUrl scheme and host for absolute links, without trailing slash; empty = from each request
 */
public record WebSettings(String bind, int port, boolean tls, String publicUrl) {

    public static WebSettings from(PosthornConfig.Web web) {
        String url = web.publicUrl == null ? "" : web.publicUrl.replaceAll("/+$", "");
        return new WebSettings(web.bind, web.port, web.tls, url);
    }

    /** Plain HTTP on a free loopback port: for tests and embedding. */
    public static WebSettings ephemeral() {
        return new WebSettings("127.0.0.1", 0, false, "");
    }
}
