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

/** The web server as {@code posthorn serve} runs it: the reply-code reference, its JSON API, assets and sitemap. */
public final class ReferenceSite {

    private ReferenceSite() {
    }

    /** Pasted bounces read at once, page and API together; more get 503 and Retry-After: 1. */
    public static final int EXPLAINS_AT_ONCE = 4;

    public static WebServer start(WebSettings settings, ServerTls tls, String version) throws IOException {
        return start(settings, tls, version, new ConcurrencyLimit(EXPLAINS_AT_ONCE, 1));
    }

    /** @param explains the places for reading pasted bounces, shared by {@code /{lang}/explain} and the API */
    public static WebServer start(WebSettings settings, ServerTls tls, String version, ConcurrencyLimit explains)
            throws IOException {
        return start(settings, tls, version, explains, List.of());
    }

    /** With more modules beside the reference. */
    public static WebServer start(WebSettings settings, ServerTls tls, String version, List<WebModule> more)
            throws IOException {
        return start(settings, tls, version, new ConcurrencyLimit(EXPLAINS_AT_ONCE, 1), more);
    }

    /**
     * The site with a running server's features: {@code /metrics}, {@code /health}, and the console under
     * {@code /admin} as {@code [web] console} says ("loopback", "on", "off").
     */
    public static WebServer start(WebSettings settings, PosthornServer server, String version, String console)
            throws IOException {
        return start(settings, server, version, console, List.of());
    }

    /** @param extra further modules (the capture API of {@code serve --capture}) */
    public static WebServer start(WebSettings settings, PosthornServer server, String version, String console,
                                  List<WebModule> extra) throws IOException {
        return start(settings, server.tls(), version, new ConcurrencyLimit(EXPLAINS_AT_ONCE, 1), parts -> {
            List<WebModule> modules = new ArrayList<>(List.of(new OperationsEndpoints(server)));
            modules.addAll(extra);
            if (!"off".equals(console)) {
                Console admin = new Console(server, parts.templates(), parts.assets(), version, !"on".equals(console),
                        Clock.systemUTC());
                modules.add(admin);
                modules.add(admin.directoryPages());
                modules.add(admin.dashboard());
                modules.add(admin.dnsPages());
                try {
                    modules.add(new ConsoleApi(server, admin, !"on".equals(console), Clock.systemUTC()));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
            return modules;
        });
    }

    /** What further features can use of the site: its templates and assets. */
    public record Parts(Templates templates, StaticAssets assets) {
    }

    public static WebServer start(WebSettings settings, ServerTls tls, String version, ConcurrencyLimit explains,
                                  List<WebModule> more) throws IOException {
        return start(settings, tls, version, explains, parts -> more);
    }

    /** @param more further features on the same server ({@code /metrics} and {@code /health} of a running server) */
    public static WebServer start(WebSettings settings, ServerTls tls, String version, ConcurrencyLimit explains,
                                  java.util.function.Function<Parts, List<WebModule>> more) throws IOException {
        StaticAssets assets = new StaticAssets();
        Templates templates = new Templates();
        Site site = new Site(new Languages(), ProviderCatalogue.bundled(), templates, assets, version);
        SiteFallbacks fallbacks = new SiteFallbacks(site);
        List<WebModule> modules = new ArrayList<>(List.of(assets, new SiteMap(site),
                new ReferencePages(site, fallbacks, explains), new ApiV1(site, fallbacks, explains)));
        modules.addAll(more.apply(new Parts(templates, assets)));
        return WebServer.start(settings, tls, fallbacks, modules);
    }
}
