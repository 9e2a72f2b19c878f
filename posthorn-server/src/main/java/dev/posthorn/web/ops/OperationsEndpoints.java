package dev.posthorn.web.ops;

import dev.posthorn.server.PosthornServer;
import dev.posthorn.server.Readiness;
import dev.posthorn.web.WebModule;
import dev.posthorn.web.http.Caching;
import dev.posthorn.web.http.Routes;
import dev.posthorn.web.http.WebResponse;

/**
 * What monitoring reads: {@code /metrics} in the Prometheus text format (version 0.0.4, what every Prometheus
 * scrapes), {@code /health/live} (the process answers) and {@code /health/ready} (it can take mail: 200, or 503
 * naming the condition that fails). Never cached: each answer is the state of this moment.
 */
public final class OperationsEndpoints implements WebModule {

    /** The exposition format's media type (Prometheus "text-based format", version 0.0.4). */
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final PosthornServer server;

    public OperationsEndpoints(PosthornServer server) {
        this.server = server;
    }

    @Override
    public void register(Routes routes) {
        routes.get("/metrics", request -> WebResponse.text(200, PROMETHEUS_TEXT, server.metrics().scrape(), Caching.NONE));
        routes.get("/health/live", request -> WebResponse.json(200, "{\"status\":\"live\"}\n", Caching.NONE));
        routes.get("/health/ready", request -> {
            Readiness r = server.readiness();
            String body = "{\"status\":\"" + (r.ready() ? "ready" : "not ready") + "\",\"listeners\":" + r.listeners()
                    + ",\"spool\":" + r.spool() + ",\"disk\":" + r.disk() + "}\n";
            return WebResponse.json(r.ready() ? 200 : 503, body, Caching.NONE);
        });
    }
}
