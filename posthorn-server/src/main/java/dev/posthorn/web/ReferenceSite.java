package dev.posthorn.web;

import dev.posthorn.codes.providers.ProviderCatalogue;
import dev.posthorn.server.PosthornServer;
import dev.posthorn.tls.ServerTls;
import dev.posthorn.web.console.Console;
import dev.posthorn.web.console.ConsoleApi;
import dev.posthorn.web.ops.OperationsEndpoints;
import java.time.Clock;
import dev.posthorn.web.api.ApiV1;
import dev.posthorn.web.assets.SiteMap;
import dev.posthorn.web.assets.StaticAssets;
import dev.posthorn.web.http.ConcurrencyLimit;
import dev.posthorn.web.pages.Languages;
import dev.posthorn.web.pages.ReferencePages;
import dev.posthorn.web.pages.Site;
import dev.posthorn.web.pages.SiteFallbacks;
import dev.posthorn.web.pages.Templates;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The web server as {@code posthorn serve} runs it: the reply-code reference, its JSON API, assets and sitemap; with
 * a running server, its {@code /metrics}, {@code /health} and console. One way to start it, {@link #builder}:
 * <pre>{@code
 * ReferenceSite.builder(settings, version).server(server, "loopback").start();
 * }</pre>
 */
public final class ReferenceSite {

    private ReferenceSite() {
    }

    /** Pasted bounces read at once, page and API together; more get 503 and Retry-After: 1. */
    public static final int EXPLAINS_AT_ONCE = 4;

    /** A site on {@code settings}, its pages saying {@code version}; plain HTTP until told otherwise. */
    public static Builder builder(WebSettings settings, String version) {
        return new Builder(settings, version);
    }

    /**
     * The site over a running server, the console as {@code console} says: shorthand for
     * {@code builder(settings, version).server(server, console).start()}, kept for the tests written against it.
     */
    public static WebServer start(WebSettings settings, PosthornServer server, String version, String console)
            throws IOException {
        return builder(settings, version).server(server, console).start();
    }

    /** What the site is started with; each setting once, in any order, then {@link #start()}. */
    public static final class Builder {

        private final WebSettings settings;
        private final String version;
        private ServerTls tls;
        private ConcurrencyLimit explains = new ConcurrencyLimit(EXPLAINS_AT_ONCE, 1);
        private PosthornServer server;
        private String console = "off";
        private final List<WebModule> modules = new ArrayList<>();

        private Builder(WebSettings settings, String version) {
            this.settings = Objects.requireNonNull(settings, "settings");
            this.version = version;
        }

        /** TLS for the site (null: plain HTTP); {@link #server} sets the server's own. */
        public Builder tls(ServerTls tls) {
            this.tls = tls;
            return this;
        }

        /** The places for reading pasted bounces, shared by {@code /{lang}/explain} and the API. */
        public Builder explains(ConcurrencyLimit explains) {
            this.explains = Objects.requireNonNull(explains, "explains");
            return this;
        }

        /**
         * A running server's features: its TLS, {@code /metrics} and {@code /health}, and the console under
         * {@code /admin} as {@code [web] console} says ("loopback", "on", "off").
         */
        public Builder server(PosthornServer server, String console) {
            this.server = Objects.requireNonNull(server, "server");
            this.tls = server.tls();
            this.console = console;
            return this;
        }

        /** Further modules beside the reference (the capture API of {@code serve --capture}), after /metrics. */
        public Builder modules(List<WebModule> more) {
            modules.addAll(more);
            return this;
        }

        public WebServer start() throws IOException {
            StaticAssets assets = new StaticAssets();
            Templates templates = new Templates();
            Site site = new Site(new Languages(), ProviderCatalogue.bundled(), templates, assets, version);
            SiteFallbacks fallbacks = new SiteFallbacks(site);
            List<WebModule> all = new ArrayList<>(List.of(assets, new SiteMap(site),
                    new ReferencePages(site, fallbacks, explains), new ApiV1(site, fallbacks, explains)));
            if (server != null) {
                all.add(new OperationsEndpoints(server));
            }
            all.addAll(modules);
            if (server != null && !"off".equals(console)) {
                Console admin = new Console(server, templates, assets, version, !"on".equals(console),
                        Clock.systemUTC());
                all.add(admin);
                all.add(admin.directoryPages());
                all.add(admin.dashboard());
                all.add(admin.dnsPages());
                all.add(new ConsoleApi(server, admin, !"on".equals(console), Clock.systemUTC()));
            }
            return WebServer.start(settings, tls, fallbacks, all);
        }
    }
}
