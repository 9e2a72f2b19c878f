package dev.posthorn.mailauth.records;

import dev.posthorn.mailauth.AuthDns;
import dev.posthorn.mailauth.DnsAnswer;
import dev.posthorn.mailauth.dkim.DkimKeys;
import dev.posthorn.mailauth.dkim.KeyRecord;
import dev.posthorn.mailauth.dkim.Tags;
import dev.posthorn.mailauth.dmarc.DmarcRecord;
import dev.posthorn.mailauth.spf.SpfChecker;
import dev.posthorn.mailauth.spf.SpfResult;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Looks up the records a domain needs (see {@link DomainRecords}) and says, record by record, what is in order,
 * missing, wrong or truncated: what {@code posthorn dns check DOMAIN} prints.
 */
public final class DomainCheck {

    /** RFC 7208 §4.6.4: at most 10 terms that cause DNS lookups. */
    public static final int MAX_SPF_LOOKUPS = 10;

    private final AuthDns dns;
    private final String domain;
    private final String hostname;
    private final List<Finding> findings = new ArrayList<>();

    private DomainCheck(AuthDns dns, String domain, String hostname) {
        this.dns = dns;
        this.domain = domain.toLowerCase(Locale.ROOT);
        this.hostname = hostname.toLowerCase(Locale.ROOT);
    }

    public static List<Finding> check(String domain, String hostname, List<DkimKeys.KeyInfo> keys, AuthDns dns) {
        DomainCheck check = new DomainCheck(dns, domain, hostname);
        DomainRecords.Addresses addresses = DomainRecords.lookup(hostname, dns);
        check.mx();
        check.spf(addresses.list());
        check.dkim(keys);
        check.dmarc();
        check.ptr(addresses);
        return List.copyOf(check.findings);
    }

    private void add(String record, Finding.Status status, String phrase, Object... pairs) {
        Map<String, String> values = new java.util.HashMap<>();
        values.put("domain", domain);
        values.put("host", hostname);
        for (int i = 0; i + 1 < pairs.length; i += 2) {
            values.put((String) pairs[i], String.valueOf(pairs[i + 1]));
        }
        findings.add(new Finding(record, status, phrase, values));
    }

    /** A temporary failure: named as such, never as "missing". Returns true when the answer was one. */
    private boolean temporary(String record, String name, DnsAnswer answer) {
        if (answer instanceof DnsAnswer.TempError t) {
            add(record, Finding.Status.TEMPORARY, "dns.check.temporary", "name", name, "reason", t.reason());
            return true;
        }
        return false;
    }

    private void mx() {
        DnsAnswer answer = dns.query(domain, AuthDns.MX);
        if (temporary("MX", domain, answer)) {
            return;
        }
        if (!(answer instanceof DnsAnswer.Records r)) {
            add("MX", Finding.Status.MISSING, "dns.check.mx.missing");
            return;
        }
        List<String> hosts = r.values().stream().map(h -> h.toLowerCase(Locale.ROOT)).toList();
        if (hosts.contains(hostname)) {
            add("MX", Finding.Status.OK, "dns.check.mx.ok");
        } else {
            add("MX", Finding.Status.WRONG, "dns.check.mx.wrong", "found", String.join(", ", hosts));
        }
    }

    private void spf(List<String> addresses) {
        DnsAnswer answer = dns.txt(domain);
        if (temporary("SPF", domain, answer)) {
            return;
        }
        List<String> records = spfRecords(answer);
        if (records.isEmpty()) {
            add("SPF", Finding.Status.MISSING, "dns.check.spf.missing");
            return;
        }
        if (records.size() > 1) {
            add("SPF", Finding.Status.WRONG, "dns.check.spf.multiple", "count", records.size());
            return;
        }
        int lookups = lookups(records.get(0), new HashSet<>(Set.of(domain)), 0);
        if (lookups > MAX_SPF_LOOKUPS) {
            add("SPF", Finding.Status.WRONG, "dns.check.spf.tooManyLookups", "lookups", lookups);
            return;
        }
        for (String address : addresses) {
            SpfResult result = SpfChecker.mailFrom(dns, address, "postmaster@" + domain, hostname);
            if (result.verdict() != SpfResult.Verdict.PASS) {
                add("SPF", Finding.Status.WRONG, "dns.check.spf.notAuthorized", "address", address,
                        "result", result.verdict().word());
                return;
            }
        }
        add("SPF", Finding.Status.OK, "dns.check.spf.ok", "lookups", lookups);
    }

    private static List<String> spfRecords(DnsAnswer answer) {
        if (!(answer instanceof DnsAnswer.Records r)) {
            return List.of();
        }
        return r.values().stream().filter(v -> v.toLowerCase(Locale.ROOT).matches("v=spf1( .*)?")).toList();
    }

    /**
     * Terms that cost a DNS lookup (RFC 7208 §4.6.4: include, a, mx, ptr, exists, redirect), counting those of
     * included and redirected records too. A loop or an unreachable include counts as what was seen so far.
     */
    private int lookups(String record, Set<String> seen, int depth) {
        int count = 0;
        for (String term : record.split("\\s+")) {
            String t = term.toLowerCase(Locale.ROOT).replaceFirst("^[+\\-~?]", "");
            String target = null;
            if (t.startsWith("include:")) {
                count++;
                target = t.substring("include:".length());
            } else if (t.startsWith("redirect=")) {
                count++;
                target = t.substring("redirect=".length());
            } else if (t.equals("a") || t.startsWith("a:") || t.startsWith("a/") || t.equals("mx") || t.startsWith("mx:")
                    || t.startsWith("mx/") || t.equals("ptr") || t.startsWith("ptr:") || t.startsWith("exists:")) {
                count++;
            }
            if (target != null && depth < MAX_SPF_LOOKUPS && seen.add(target) && !target.contains("%{")) {
                List<String> nested = spfRecords(dns.txt(target));
                if (nested.size() == 1) {
                    count += lookups(nested.get(0), seen, depth + 1);
                }
            }
        }
        return count;
    }

    private void dkim(List<DkimKeys.KeyInfo> keys) {
        if (keys.isEmpty()) {
            add("DKIM", Finding.Status.MISSING, "dns.check.dkim.none");
            return;
        }
        for (DkimKeys.KeyInfo key : keys) {
            String record = "DKIM " + key.selector();
            String name = key.recordName();
            DnsAnswer answer = dns.txt(name);
            if (temporary(record, name, answer)) {
                continue;
            }
            if (!(answer instanceof DnsAnswer.Records r)) {
                add(record, Finding.Status.MISSING, "dns.check.dkim.missing", "selector", key.selector(), "name", name);
                continue;
            }
            String expected = KeyRecord.publicKeyValue(key.publicKey());
            String published = null;
            String problem = null;
            for (String value : r.values()) {
                try {
                    published = Tags.compactBase64(Tags.parse(value).get("p"));
                } catch (IllegalArgumentException e) {
                    problem = e.getMessage();
                }
            }
            if (published == null) {
                add(record, Finding.Status.WRONG, "dns.check.dkim.wrong", "selector", key.selector(), "name", name,
                        "problem", problem == null ? "no p= tag" : problem);
            } else if (published.equals(expected)) {
                add(record, Finding.Status.OK, "dns.check.dkim.ok", "selector", key.selector());
            } else if (!published.isEmpty() && expected.startsWith(published)) {
                add(record, Finding.Status.TRUNCATED, "dns.check.dkim.truncated", "selector", key.selector(),
                        "published", published.length(), "expected", expected.length());
            } else {
                add(record, Finding.Status.WRONG, "dns.check.dkim.wrong", "selector", key.selector(), "name", name,
                        "problem", published.isEmpty() ? "the key is revoked (empty p=)" : "another key is published");
            }
        }
    }

    private void dmarc() {
        String name = "_dmarc." + domain;
        DnsAnswer answer = dns.txt(name);
        if (temporary("DMARC", name, answer)) {
            return;
        }
        List<String> records = answer instanceof DnsAnswer.Records r
                ? r.values().stream().filter(v -> v.startsWith("v=DMARC1")).toList() : List.of();
        if (records.isEmpty()) {
            add("DMARC", Finding.Status.MISSING, "dns.check.dmarc.missing");
            return;
        }
        if (records.size() > 1) {
            add("DMARC", Finding.Status.WRONG, "dns.check.dmarc.wrong", "problem", records.size() + " DMARC records");
            return;
        }
        DmarcRecord record;
        try {
            record = DmarcRecord.parse(records.get(0));
        } catch (IllegalArgumentException e) {
            add("DMARC", Finding.Status.WRONG, "dns.check.dmarc.wrong", "problem", e.getMessage());
            return;
        }
        add("DMARC", Finding.Status.OK, "dns.check.dmarc.ok", "policy", record.policy().word());
        if (record.rua() == null || record.rua().isBlank()) {
            add("DMARC", Finding.Status.NOTE, "dns.check.dmarc.noReports");
        }
    }

    private void ptr(DomainRecords.Addresses found) {
        // An address lookup (A or AAAA) that failed is not "no address": a dead resolver must not read as advice,
        // and a failed AAAA lookup leaves the IPv6 addresses (and their PTR records) unknown.
        if (found.failure() != null) {
            add("PTR", Finding.Status.TEMPORARY, "dns.check.temporary", "name", hostname, "reason", found.failure());
        }
        if (found.none()) {
            add("PTR", Finding.Status.MISSING, "dns.check.ptr.noAddress");
            return;
        }
        List<String> addresses = found.list();
        for (String address : addresses) {
            String name = DomainRecords.reverseName(address);
            DnsAnswer answer = dns.query(name, AuthDns.PTR);
            if (temporary("PTR " + address, name, answer)) {
                continue;
            }
            if (!(answer instanceof DnsAnswer.Records r)) {
                add("PTR " + address, Finding.Status.MISSING, "dns.check.ptr.missing", "address", address);
            } else if (r.values().stream().anyMatch(v -> v.equalsIgnoreCase(hostname))) {
                add("PTR " + address, Finding.Status.OK, "dns.check.ptr.ok", "address", address);
            } else {
                add("PTR " + address, Finding.Status.WRONG, "dns.check.ptr.wrong", "address", address,
                        "found", String.join(", ", r.values()));
            }
        }
    }
}
