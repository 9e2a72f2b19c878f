package dev.posthorn.web.console;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.posthorn.metrics.RecentDeliveries;
import dev.posthorn.server.PosthornServer;
import dev.posthorn.server.QueueGauges;
import dev.posthorn.web.WebModule;
import dev.posthorn.web.http.Caching;
import dev.posthorn.web.http.Routes;
import dev.posthorn.web.http.WebRequest;
import dev.posthorn.web.http.WebResponse;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The console's first page: connections, accepted and refused mail (by code, each linked to its reference page),
 * the queue by state and the deliveries of the last hour, from the same meters as {@code /metrics}. The page is
 * complete as served; a static script ({@code /admin/console.js}, allowed by this page's policy: scripts from this
 * origin only, none inline) refreshes the figures from {@code /admin/dashboard.json} every few seconds.
 */
public final class Dashboard implements WebModule {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The site's policy, plus this origin's scripts and fetches: still no inline script, no other origin. */
    static final String CSP = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; "
            + "img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    private final Console console;
    private final PosthornServer server;
    private final byte[] script;

    Dashboard(Console console, PosthornServer server) {
        this.console = console;
        this.server = server;
        try (InputStream in = Dashboard.class.getResourceAsStream("/web/console.js")) {
            if (in == null) {
                throw new IllegalStateException("missing resource /web/console.js");
            }
            this.script = in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /web/console.js: " + e.getMessage(), e);
        }
    }

    /** A refused code with its count, its meaning and its reference page. */
    public record Refused(String code, String enhanced, String meaning, long count, String href) {
    }

    /** The figures, for the page and (as JSON) for its script. */
    public record Figures(long connections, long active, long accepted, long refusedTotal, List<Refused> refused,
                          Map<String, Integer> queue, long delivered, long deferred, long bounced) {
    }

    public record DashboardPage(ConsoleViews.Frame frame, Figures figures) {
    }

    @Override
    public void register(Routes routes) {
        routes.get("/admin/dashboard", console.guarded(console.authenticated((request, session) ->
                console.page(200, "admin/dashboard.jte", new DashboardPage(
                        console.frame("Dashboard", "dashboard", session), figures())).withHeader("Content-Security-Policy", CSP))));
        routes.get("/admin/dashboard.json", console.guarded(console.authenticated((request, session) ->
                new WebResponse(200, WebResponse.JSON, JSON.writeValueAsBytes(figures()), Caching.NONE, Map.of()))));
        routes.get("/admin/console.js", console.guarded(request -> new WebResponse(200,
                "text/javascript; charset=utf-8", script, Caching.NONE, Map.of())));
    }

    Figures figures() {
        MeterRegistry registry = server.metrics().registry();
        List<Refused> refused = new ArrayList<>();
        long refusedTotal = 0;
        for (Counter c : registry.find("posthorn.messages.rejected").counters()) {
            long count = (long) c.count();
            refusedTotal += count;
            String code = c.getId().getTag("code");
            String enhanced = c.getId().getTag("enhanced_code");
            String key = enhanced == null || enhanced.isEmpty() ? code : enhanced;
            Refused existing = refused.stream().filter(r -> r.code().equals(code) && r.enhanced().equals(enhanced))
                    .findFirst().orElse(null);
            if (existing != null) {
                refused.remove(existing);
                count += existing.count();
            }
            refused.add(new Refused(code, enhanced == null ? "" : enhanced, c.getId().getTag("meaning"), count,
                    "/en/codes/" + key));
        }
        refused.sort(Comparator.comparingLong(Refused::count).reversed().thenComparing(Refused::code));
        Map<String, Integer> queue = new LinkedHashMap<>();
        for (QueueGauges.State state : QueueGauges.State.values()) {
            String name = state.name().toLowerCase(Locale.ROOT);
            Gauge g = registry.find("posthorn.queue.messages").tag("state", name).gauge();
            queue.put(name, g == null ? 0 : (int) g.value());
        }
        long active = (long) registry.find("posthorn.connections.active").gauges().stream().mapToDouble(Gauge::value).sum();
        RecentDeliveries.LastHour hour = server.metrics().recentDeliveries().lastHour();
        return new Figures(sum(registry, "posthorn.connections"), active, sum(registry, "posthorn.messages.accepted"),
                refusedTotal, refused, queue, hour.delivered(), hour.deferred(), hour.bounced());
    }

    private static long sum(MeterRegistry registry, String name) {
        return (long) registry.find(name).counters().stream().mapToDouble(Counter::count).sum();
    }

}
