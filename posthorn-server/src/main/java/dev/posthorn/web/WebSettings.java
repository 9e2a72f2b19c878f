package dev.posthorn.web;

import dev.posthorn.config.PosthornConfig;

/**
 * Where and how the web server listens.
 *
 * @param port      0 for an ephemeral port (tests); {@code posthorn serve} skips the server when the config says 0
 * @param publicUrl scheme and host for absolute links, without trailing slash; empty = the server's own address
 * @param hostname  the mail server's host name, for absolute links when the site listens on every address and
 *                  no {@code publicUrl} is set; empty when unknown
 */
public record WebSettings(String bind, int port, boolean tls, String publicUrl, String hostname) {

    public WebSettings {
        publicUrl = publicUrl == null ? "" : publicUrl.replaceAll("/+$", "");
        hostname = hostname == null ? "" : hostname;
    }

    public static WebSettings from(PosthornConfig.Web web, String hostname) {
        return new WebSettings(web.bind, web.port, web.tls, web.publicUrl, hostname);
    }

    /** Plain HTTP on a free loopback port: for tests and embedding. */
    public static WebSettings ephemeral() {
        return new WebSettings("127.0.0.1", 0, false, "", "");
    }
}
