package dev.posthorn.mailauth.records;

import dev.posthorn.codes.LanguagePack;
import java.util.List;
import java.util.Map;

/**
 * The words for a domain's records and their check in one language (codes/lang/*.json, "dns.*"): what
 * {@code posthorn dns [check]} prints and the console's DNS page shows, from one copy.
 */
public final class RecordTexts {

    private final LanguagePack lang;

    public RecordTexts(LanguagePack lang) {
        this.lang = lang;
    }

    public String header(String domain, String host) {
        return lang.fill("dns.header", Map.of("domain", domain, "host", host));
    }

    /** What a record is for. */
    public String comment(ExpectedRecord record) {
        return lang.fill(record.phrase(), record.values());
    }

    /** The status as the CLI's column shows it ("OK", "MISSING", ...). */
    public String status(Finding.Status status) {
        return lang.phrase("dns.status." + status.name());
    }

    /** What a finding says, with its values. */
    public String explanation(Finding finding) {
        return lang.fill(finding.phrase(), finding.values());
    }

    /** Said after the SPF record when the domain has no DKIM key, or null. */
    public String noDkim(String domain, List<?> keys) {
        return keys.isEmpty() ? lang.fill("dns.comment.noDkim", Map.of("domain", domain)) : null;
    }

    /**
     * Said after the records when the host name has no address in DNS (both A and AAAA answered, neither with a
     * record), or when its addresses could not be looked up (then its PTR records cannot be given yet), else null.
     */
    public String noAddress(String host, DomainRecords.Addresses addresses) {
        if (addresses.failure() != null) {
            return lang.fill("dns.comment.addressUnknown", Map.of("host", host, "reason", addresses.failure()));
        }
        return addresses.none() ? lang.fill("dns.comment.noAddress", Map.of("host", host)) : null;
    }

    /**
     * "All records of D are in order.", or how many to fix and how many could not be checked (a lookup that failed
     * for now is not a record to fix).
     */
    public String summary(String domain, List<Finding> findings) {
        int problems = problems(findings);
        int unchecked = unchecked(findings);
        if (problems == 0 && unchecked == 0) {
            return lang.fill("dns.check.summary.ok", Map.of("domain", domain));
        }
        List<String> parts = new java.util.ArrayList<>();
        if (problems > 0) {
            parts.add(lang.fill("dns.check.summary.problems", Map.of("domain", domain, "count",
                    String.valueOf(problems))));
        }
        if (unchecked > 0) {
            parts.add(lang.fill("dns.check.summary.unchecked", Map.of("domain", domain, "count",
                    String.valueOf(unchecked))));
        }
        return String.join(" ", parts);
    }

    /** Definite problems the operator must act on (a note is advice; a temporary failure is not yet known). */
    public static int problems(List<Finding> findings) {
        return (int) findings.stream()
                .filter(f -> f.status().isProblem() && f.status() != Finding.Status.TEMPORARY).count();
    }

    /** Findings that could not be checked now (a lookup failed for now, or ran out of time). */
    public static int unchecked(List<Finding> findings) {
        return (int) findings.stream().filter(f -> f.status() == Finding.Status.TEMPORARY).count();
    }
}
