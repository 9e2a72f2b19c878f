package dev.posthorn.web.console;

import dev.posthorn.mailauth.records.ExpectedRecord;
import dev.posthorn.mailauth.records.Finding;
import dev.posthorn.mailauth.records.RecordTexts;
import dev.posthorn.web.WebModule;
import dev.posthorn.web.http.Caching;
import dev.posthorn.web.http.Routes;
import dev.posthorn.web.http.WebRequest;
import dev.posthorn.web.http.WebResponse;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The console's "DNS and authentication" page: for each hosted domain, the records to paste (MX, SPF, each DKIM
 * key, DMARC, reverse DNS) and what {@code posthorn dns check} says of them now. Checked on every load (the page's
 * "Check again" is a reload), under {@link DomainDns#DEADLINE}. The copy buttons are a same-origin script
 * ({@code /admin/dns.js}, allowed by {@link Dashboard#CSP}); without it the values are still selectable text.
 */
final class DnsPages implements WebModule {

    private final Console console;
    private final DomainDns dns;
    private final Clock clock;
    private final byte[] script;

    DnsPages(Console console, DomainDns dns, Clock clock) {
        this.console = console;
        this.dns = dns;
        this.clock = clock;
        try (InputStream in = DnsPages.class.getResourceAsStream("/web/console-dns.js")) {
            if (in == null) {
                throw new IllegalStateException("missing resource /web/console-dns.js");
            }
            this.script = in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /web/console-dns.js: " + e.getMessage(), e);
        }
    }

    @Override
    public void register(Routes routes) {
        routes.get("/admin/dns", console.guarded(console.authenticated(this::page)));
        routes.get("/admin/dns.js", console.guarded(request -> new WebResponse(200,
                "text/javascript; charset=utf-8", script, Caching.NONE, Map.of())));
    }

    private WebResponse page(WebRequest request, ConsoleSessions.Session session) {
        String checkedAt = clock.instant().truncatedTo(ChronoUnit.SECONDS).toString().replace('T', ' ')
                .replace("Z", " UTC");
        List<ConsoleViews.DnsDomainView> views = new ArrayList<>();
        int n = 0;
        for (DomainDns.Report report : dns.check(dns.domains())) {
            views.add(view(report, n++, dns.texts()));
        }
        return console.page(200, "admin/dns.jte", new ConsoleViews.DnsPage(
                console.frame("DNS and authentication", "dns", session), console.hostname(), checkedAt, views))
                .withHeader("Content-Security-Policy", Dashboard.CSP);
    }

    private static ConsoleViews.DnsDomainView view(DomainDns.Report report, int n, RecordTexts texts) {
        List<ConsoleViews.DnsRecordView> records = new ArrayList<>();
        int i = 0;
        for (ExpectedRecord r : report.records()) {
            records.add(new ConsoleViews.DnsRecordView("rec-" + n + "-" + i++, r.name(), r.type(),
                    DomainDns.value(r), texts.comment(r)));
        }
        List<ConsoleViews.DnsFindingView> findings = new ArrayList<>();
        for (Finding f : report.findings()) {
            findings.add(new ConsoleViews.DnsFindingView(f.record(), f.status().name().toLowerCase(Locale.ROOT),
                    DomainDns.verdict(f.status()), texts.explanation(f)));
        }
        String zone = report.records().stream().map(ExpectedRecord::zoneLine).collect(Collectors.joining("\n"));
        return new ConsoleViews.DnsDomainView(report.domain(), "zone-" + n, records, zone, report.advice(), findings,
                report.summary(), RecordTexts.problems(report.findings()) == 0
                && RecordTexts.unchecked(report.findings()) == 0);
    }
}
