package dev.posthorn.delivery.security;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Finds the MTA-STS policy that applies to a domain (RFC 8461 §3, §5): the {@code _mta-sts} TXT record says
 * whether there is one and its id; a policy cached under the same id is used until half its {@code max_age} has
 * gone, then fetched again. A fetch that fails never evicts or weakens a cached policy that has not expired
 * (§5.1): an attacker who blocks the fetch gets the old policy, not none. Without a usable policy the result
 * says why, for the TLS report.
 */
public final class MtaSts {

    private static final Logger LOG = LoggerFactory.getLogger(MtaSts.class);
    /** After a failed fetch, the next try waits this long (the cached policy, if any, is used meanwhile). */
    private static final Duration FAILED_FETCH_BACKOFF = Duration.ofMinutes(5);

    /**
     * What applies to a domain.
     *
     * @param policy  the policy to apply, or null when there is none
     * @param failure why a policy the domain announced could not be had (fetch error, invalid), else null
     * @param detail  the failure in words
     */
    public record Lookup(MtaStsPolicy policy, TlsRptResult failure, String detail) {
        static Lookup none() {
            return new Lookup(null, null, null);
        }
    }

    private final DnsLookup dns;
    private final PolicyFetcher fetcher;
    private final MtaStsCache cache;
    private final Clock clock;
    private final Map<String, Instant> failedFetches = new ConcurrentHashMap<>();
    private final Map<String, Object> locks = new ConcurrentHashMap<>();

    public MtaSts(DnsLookup dns, PolicyFetcher fetcher, MtaStsCache cache, Clock clock) {
        this.dns = dns;
        this.fetcher = fetcher;
        this.cache = cache;
        this.clock = clock;
    }

    public Lookup lookup(String domain) {
        String ascii;
        try {
            // The policy host and the cache file use the A-label form of an internationalised domain.
            ascii = java.net.IDN.toASCII(domain, java.net.IDN.ALLOW_UNASSIGNED).toLowerCase(java.util.Locale.ROOT);
        } catch (IllegalArgumentException e) {
            return Lookup.none();
        }
        if (!ascii.matches("[a-z0-9.-]+")) {
            return Lookup.none();
        }
        // One fetch at a time per domain: concurrent deliveries wait for it and then share its result.
        synchronized (locks.computeIfAbsent(ascii, d -> new Object())) {
            return lookupLocked(ascii);
        }
    }

    private Lookup lookupLocked(String domain) {
        Instant now = clock.instant();
        Optional<MtaStsPolicy> cached = cache.get(domain).filter(p -> !p.expired(now));
        String id = announcedId(domain);
        if (id == null) {
            // No TXT record (or no answer): a policy still cached stays in force (RFC 8461 §5.1).
            return cached.map(MtaSts::use).orElse(Lookup.none());
        }
        if (cached.isPresent() && cached.get().id().equals(id) && !cached.get().refreshDue(now)) {
            return use(cached.get());
        }
        Instant failedAt = failedFetches.get(domain);
        if (failedAt != null && now.isBefore(failedAt.plus(FAILED_FETCH_BACKOFF))) {
            // A policy host that just failed is not asked again at every delivery (each try could cost the
            // fetch's whole deadline); the cached policy, if any, stays in force meanwhile.
            String detail = "the policy fetch failed at " + failedAt + "; next try after "
                    + failedAt.plus(FAILED_FETCH_BACKOFF);
            return cached.map(MtaSts::use).orElse(new Lookup(null, TlsRptResult.STS_POLICY_FETCH_ERROR, detail));
        }
        String body;
        try {
            body = fetcher.fetch(domain);
        } catch (PolicyFetcher.FetchFailed e) {
            failedFetches.put(domain, now);
            LOG.warn("MTA-STS policy of {} (id {}) cannot be fetched{}: {}", domain, id,
                    cached.isPresent() ? ", the cached one stays in force" : "", e.getMessage());
            return cached.map(p -> new Lookup(p, TlsRptResult.STS_POLICY_FETCH_ERROR, e.getMessage()))
                    .orElse(new Lookup(null, TlsRptResult.STS_POLICY_FETCH_ERROR, e.getMessage()));
        }
        MtaStsPolicy fresh;
        try {
            fresh = MtaStsPolicy.parse(body, id, now);
        } catch (MtaStsPolicy.Invalid e) {
            failedFetches.put(domain, now);
            LOG.warn("MTA-STS policy of {} is invalid: {}", domain, e.getMessage());
            String detail = "invalid policy at https://mta-sts." + domain + "/.well-known/mta-sts.txt: " + e.getMessage();
            return cached.map(p -> new Lookup(p, TlsRptResult.STS_POLICY_INVALID, detail))
                    .orElse(new Lookup(null, TlsRptResult.STS_POLICY_INVALID, detail));
        }
        failedFetches.remove(domain);
        cache.put(domain, fresh);
        LOG.info("MTA-STS policy of {}: {} mx={} max_age={}", domain, fresh.describe(), fresh.mx(), fresh.maxAgeSeconds());
        return use(fresh);
    }

    private static Lookup use(MtaStsPolicy p) {
        return p.mode() == MtaStsPolicy.Mode.NONE ? Lookup.none() : new Lookup(p, null, null);
    }

    /** The id of the single "v=STSv1" TXT record at {@code _mta-sts.<domain>} (RFC 8461 §3.1), else null. */
    private String announcedId(String domain) {
        Name name;
        try {
            name = Name.fromString("_mta-sts." + domain + ".");
        } catch (TextParseException e) {
            return null;
        }
        if (!(dns.query(name, Type.TXT) instanceof DnsAnswer.Found found)) {
            return null;
        }
        List<String> sts = found.records().stream().filter(r -> r instanceof TXTRecord).map(MtaSts::text)
                .filter(t -> t.startsWith("v=STSv1")).toList();
        if (sts.size() != 1) {
            return null; // RFC 8461 §3.1: several records are as none
        }
        for (String field : sts.get(0).split(";")) {
            String f = field.strip();
            if (f.startsWith("id=") && f.substring(3).matches("[A-Za-z0-9]{1,32}")) {
                return f.substring(3);
            }
        }
        return null;
    }

    private static String text(Record r) {
        return String.join("", ((TXTRecord) r).getStrings());
    }
}
