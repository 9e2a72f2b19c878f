package dev.posthorn.web.console;

import dev.posthorn.codes.Catalogue;
import dev.posthorn.delivery.remote.MxResolver;
import dev.posthorn.mailauth.ResolverDns;
import dev.posthorn.mailauth.dkim.DkimKeys;
import dev.posthorn.mailauth.records.DomainCheck;
import dev.posthorn.mailauth.records.DomainRecords;
import dev.posthorn.mailauth.records.ExpectedRecord;
import dev.posthorn.mailauth.records.Finding;
import dev.posthorn.mailauth.records.RecordTexts;
import dev.posthorn.server.PosthornServer;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.xbill.DNS.Resolver;

/**
 * What {@code posthorn dns DOMAIN} and {@code posthorn dns check DOMAIN} say, for the console and the API: the
 * records each hosted domain needs ({@link DomainRecords}) and how they stand in DNS ({@link DomainCheck}), looked
 * up through the server's configured resolvers. Checked afresh on every request (nothing is cached past it), the
 * domains concurrently, and no lookup waits past one deadline: a resolver that does not answer gives "temporary
 * failure" within it, never a page that hangs.
 */
final class DomainDns {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DomainDns.class);

    /** How long one page's lookups may take, all domains together. */
    static final Duration DEADLINE = Duration.ofSeconds(4);

    /** How many domains of one page are checked at once. */
    static final int CONCURRENT = 8;

    /** One domain: the records to publish, the advice that goes with them, and what DNS has now. */
    record Report(String domain, String host, List<ExpectedRecord> records, List<String> advice,
                  List<Finding> findings, String summary) {
    }

    private final PosthornServer server;
    private final Clock clock;
    private final RecordTexts texts;

    DomainDns(PosthornServer server, Clock clock) {
        this.server = server;
        this.clock = clock;
        // The console speaks English; the catalogue has the explanations in English and Turkish.
        this.texts = new RecordTexts(Catalogue.load(Catalogue.DEFAULT_LANGUAGE).language());
    }

    RecordTexts texts() {
        return texts;
    }

    /** The hosted domains: those of the configuration and those of the store, once each, sorted. */
    List<String> domains() {
        TreeSet<String> all = new TreeSet<>();
        server.hostedDomainsConfigured().forEach(d -> all.add(d.toLowerCase(Locale.ROOT)));
        server.store().directory().domains().forEach(d -> all.add(d.toLowerCase(Locale.ROOT)));
        return List.copyOf(all);
    }

    boolean hosted(String domain) {
        return domains().contains(domain.toLowerCase(Locale.ROOT));
    }

    /** Each domain checked on its own virtual thread, all under one deadline. */
    List<Report> check(List<String> domains) {
        Instant deadline = clock.instant().plus(DEADLINE);
        Resolver resolver = MxResolver.resolverFor(server.dnsConfig());
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        // One DNS for the page: the host's A, AAAA and PTR answers (the same for every domain) are asked once.
        ResolverDns dns = new ResolverDns(resolver, clock, deadline, "DNS check");
        warm(dns);
        java.util.concurrent.Semaphore lookups = new java.util.concurrent.Semaphore(CONCURRENT);
        try {
            List<Future<Report>> running = new ArrayList<>();
            for (String domain : domains) {
                running.add(threads.submit(() -> {
                    // At most CONCURRENT domains ask at once: a page of many domains must not flood the resolver.
                    lookups.acquire();
                    try {
                        return check(domain, dns);
                    } finally {
                        lookups.release();
                    }
                }));
            }
            List<Report> reports = new ArrayList<>();
            for (int i = 0; i < domains.size(); i++) {
                reports.add(await(running.get(i), domains.get(i), deadline));
            }
            return reports;
        } finally {
            threads.shutdownNow(); // not close(): that would wait for a lookup the deadline has given up on
        }
    }

    /** The host's A and AAAA, then its PTR records, asked once before the domains (which all ask them). */
    private void warm(ResolverDns dns) {
        String host = server.hostname().toLowerCase(Locale.ROOT);
        for (String address : DomainRecords.lookup(host, dns).list()) {
            dns.query(DomainRecords.reverseName(address), dev.posthorn.mailauth.AuthDns.PTR);
        }
    }

    private Report check(String domain, ResolverDns dns) {
        String host = server.hostname().toLowerCase(Locale.ROOT);
        List<DkimKeys.KeyInfo> keys = keysOf(domain);
        DomainRecords.Addresses addresses = DomainRecords.lookup(host, dns);
        List<Finding> findings = DomainCheck.check(domain, host, keys, dns);
        List<String> advice = new ArrayList<>();
        String noDkim = texts.noDkim(domain, keys);
        if (noDkim != null) {
            advice.add(noDkim);
        }
        String noAddress = texts.noAddress(host, addresses);
        if (noAddress != null) {
            advice.add(noAddress);
        }
        return new Report(domain, host, DomainRecords.expected(domain, host, keys, addresses.list()), advice, findings,
                texts.summary(domain, findings));
    }

    /** The domain's DKIM keys, as {@code posthorn dns} reads them: from the database with the PostgreSQL store. */
    private List<DkimKeys.KeyInfo> keysOf(String domain) {
        try {
            return dev.posthorn.policy.PgDkimKeys.forStore(server.store(), server.dataDir()).list(domain);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read the DKIM keys of " + domain + ": " + e.getMessage(), e);
        }
    }

    /**
     * A check that overran the deadline (the lookups are cut at it; this is the last guard) is a DNS temporary
     * failure. One that failed here (the DKIM keys unreadable, a bug) is logged with its stack trace and shown as
     * the local error it is, not as a DNS answer.
     */
    private Report await(Future<Report> report, String domain, Instant deadline) {
        long millis = Math.max(0, Duration.between(clock.instant(), deadline).toMillis()) + 1000;
        String host = server.hostname().toLowerCase(Locale.ROOT);
        String reason;
        try {
            return report.get(millis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            report.cancel(true);
            reason = "the DNS check ran out of time (" + DEADLINE.toSeconds() + " s)";
        } catch (ExecutionException e) {
            LOG.error("checking the DNS records of {} failed here, not in DNS", domain, e.getCause());
            List<Finding> local = List.of(new Finding(e.getCause() instanceof java.io.UncheckedIOException
                    ? "DKIM keys" : "check", Finding.Status.TEMPORARY, "dns.check.localError",
                    Map.of("domain", domain, "host", host, "reason", String.valueOf(e.getCause().getMessage()))));
            return new Report(domain, host, List.of(), List.of(), local, texts.summary(domain, local));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            reason = "interrupted";
        }
        List<Finding> findings = List.of(new Finding("DNS", Finding.Status.TEMPORARY, "dns.check.temporary",
                Map.of("domain", domain, "host", host, "name", domain, "reason", reason)));
        return new Report(domain, host, List.of(), List.of(), findings, texts.summary(domain, findings));
    }

    /** The page's word for a status. */
    static String verdict(Finding.Status status) {
        return switch (status) {
            case OK -> "in order";
            case NOTE -> "note";
            case MISSING -> "missing";
            case WRONG -> "wrong";
            case TRUNCATED -> "truncated";
            case TEMPORARY -> "temporary failure";
        };
    }

    /** A record's data as a provider's form takes it: a TXT record's strings joined, other data as in the zone. */
    static String value(ExpectedRecord record) {
        return String.join(record.type().equals("TXT") ? "" : " ", record.data());
    }
}
