package dev.posthorn.web;

import dev.posthorn.web.http.Routes;

/**
 * A feature of the web server that brings its own routes: the reply-code reference, the API, the static assets;
 * later the console under {@code /admin}, {@code /metrics}, {@code /health}.
 */
public interface WebModule {
    void register(Routes routes);
}
