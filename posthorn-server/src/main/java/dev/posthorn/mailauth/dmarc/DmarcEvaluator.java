package dev.posthorn.mailauth.dmarc;

import dev.posthorn.mailauth.Author;
import dev.posthorn.mailauth.AuthDns;
import dev.posthorn.mailauth.DnsAnswer;
import dev.posthorn.mailauth.DomainNames;
import dev.posthorn.mailauth.MessageHeader;
import dev.posthorn.mailauth.dkim.DkimResult;
import dev.posthorn.mailauth.spf.SpfResult;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * DMARC (RFC 7489): finds the author domain in the single From field, the policy record (the domain's, else
 * the organizational domain's, §6.6.3), and decides pass (an aligned SPF or DKIM pass, §3.1) or fail. An
 * input that failed temporarily and could have aligned makes the verdict temperror rather than fail, so a DNS
 * hiccup never becomes a refusal.
 */
public final class DmarcEvaluator {

    private final PublicSuffixList psl;
    private final RandomGenerator random;

    public DmarcEvaluator(PublicSuffixList psl, RandomGenerator random) {
        this.psl = psl;
        this.random = random;
    }

    public PublicSuffixList publicSuffixList() {
        return psl;
    }

    public DmarcResult evaluate(MessageHeader header, SpfResult spf, List<DkimResult> dkim, AuthDns dns) {
        // §6.6.1: exactly one author domain; several From fields or mailboxes, or a From that is not a
        // mailbox-list, cannot be judged (and are how a forged author hides next to a genuine one).
        String from;
        switch (Author.of(header)) {
            case Author.Absent absent -> {
                return new DmarcResult(DmarcResult.Verdict.NONE, null, null, null, false, "no From field");
            }
            case Author.Unjudgeable u -> {
                return new DmarcResult(DmarcResult.Verdict.PERMERROR, null, null, null, false, u.reason());
            }
            case Author.One one -> {
                from = asciiDomain(one.mailbox().domain());
                if (from == null) {
                    return new DmarcResult(DmarcResult.Verdict.PERMERROR, null, null, null, false,
                            "the From address has no valid domain");
                }
            }
        }
        String org = psl.organizationalDomain(from);
        Lookup found = lookup(from, dns);
        boolean subdomainPolicy = false;
        if (found.record == null && found.error == null && !found.temporary && !org.equals(from)) {
            found = lookup(org, dns);
            subdomainPolicy = true;
        }
        if (found.temporary) {
            return new DmarcResult(DmarcResult.Verdict.TEMPERROR, from, null, null, false, found.error);
        }
        if (found.error != null) {
            return new DmarcResult(DmarcResult.Verdict.PERMERROR, from, null, null, false, found.error);
        }
        if (found.record == null) {
            return new DmarcResult(DmarcResult.Verdict.NONE, from, null, null, false, "no DMARC record");
        }
        DmarcRecord record = found.record;
        DmarcRecord.Policy policy = subdomainPolicy ? record.subdomainPolicy() : record.policy();
        boolean uncertain = false;
        if (spf != null && aligned(spf.domain(), from, record.strictSpf())) {
            if (spf.verdict() == SpfResult.Verdict.PASS) {
                return new DmarcResult(DmarcResult.Verdict.PASS, from, policy, policy, subdomainPolicy, null);
            }
            uncertain = spf.verdict() == SpfResult.Verdict.TEMPERROR;
        }
        for (DkimResult d : dkim) {
            if (d.domain() != null && aligned(d.domain(), from, record.strictDkim())) {
                if (d.passed()) {
                    return new DmarcResult(DmarcResult.Verdict.PASS, from, policy, policy, subdomainPolicy, null);
                }
                uncertain |= d.verdict() == DkimResult.Verdict.TEMPERROR;
            }
        }
        DmarcRecord.Policy applied = policy;
        if (record.pct() < 100 && random.nextInt(100) >= record.pct()) {
            // §6.6.4: a message not sampled gets the next policy down.
            applied = policy == DmarcRecord.Policy.REJECT ? DmarcRecord.Policy.QUARANTINE : DmarcRecord.Policy.NONE;
        }
        if (uncertain) {
            return new DmarcResult(DmarcResult.Verdict.TEMPERROR, from, policy, applied, subdomainPolicy,
                    "an aligned check failed temporarily");
        }
        return new DmarcResult(DmarcResult.Verdict.FAIL, from, policy, applied, subdomainPolicy,
                failure(spf, dkim, from, record));
    }

    /**
     * Asks DNS for the author domain's policy (and, without one, its organizational domain's) without judging
     * anything. Run before the other checks, so that a sender's slow SPF or key records cannot spend the time
     * the policy lookup needs; {@link #evaluate} then finds the answers in the message's cache.
     */
    public void prefetchPolicy(MessageHeader header, AuthDns dns) {
        if (Author.of(header) instanceof Author.One one) {
            String from = asciiDomain(one.mailbox().domain());
            if (from != null) {
                Lookup found = lookup(from, dns);
                String org = psl.organizationalDomain(from);
                if (found.record == null && found.error == null && !found.temporary && !org.equals(from)) {
                    lookup(org, dns);
                }
            }
        }
    }

    /** Names what failed, for the log, the A-R comment and the refusal's text. */
    private String failure(SpfResult spf, List<DkimResult> dkim, String from, DmarcRecord record) {
        String spfPart;
        if (spf == null) {
            spfPart = "SPF not checked";
        } else if (spf.verdict() == SpfResult.Verdict.PASS) {
            spfPart = "SPF passed for " + spf.domain() + ", which is not aligned with " + from;
        } else {
            spfPart = "SPF " + spf.verdict().word() + " for " + spf.domain();
        }
        String dkimPart;
        if (dkim.isEmpty()) {
            dkimPart = "no DKIM signature";
        } else if (dkim.stream().anyMatch(DkimResult::passed)) {
            dkimPart = "no DKIM signature aligned with " + from;
        } else {
            dkimPart = "DKIM " + dkim.get(0).verdict().word() + printable(dkim.get(0).reason());
        }
        return spfPart + ", " + dkimPart;
    }

    /**
     * The author domain as DNS knows it: U-labels to A-labels (RFC 5891), a trailing dot dropped, lower case; null
     * when it is not a domain name at all. Normalizing first means "paypal.com." or a Unicode form cannot slip
     * past as "not a domain".
     */
    static String asciiDomain(String domain) {
        String d = domain.endsWith(".") ? domain.substring(0, domain.length() - 1) : domain;
        try {
            d = java.net.IDN.toASCII(d, java.net.IDN.ALLOW_UNASSIGNED).toLowerCase(java.util.Locale.ROOT);
        } catch (IllegalArgumentException e) {
            return null;
        }
        return DomainNames.isValid(d) && !d.endsWith(".") && d.contains(".") ? d : null;
    }

    /** A reason from a signature goes into a reply text: printable ASCII only, and short. */
    private static String printable(String reason) {
        if (reason == null) {
            return "";
        }
        String clean = reason.replaceAll("[^\\x20-\\x7e]", "?");
        return " (" + (clean.length() > 60 ? clean.substring(0, 60) + "..." : clean) + ")";
    }

    /**
     * §3.1: strict needs the same domain, relaxed the same organizational domain. Without the Public Suffix List
     * the organizational domain is a guess ("co.uk" for every registrant under it), so alignment is then strict:
     * a sibling registration must never pass for the author's domain.
     */
    boolean aligned(String domain, String from, boolean strict) {
        if (domain == null) {
            return false;
        }
        String d = domain.toLowerCase(java.util.Locale.ROOT);
        return strict || !psl.known() ? d.equals(from)
                : psl.organizationalDomain(d).equals(psl.organizationalDomain(from));
    }

    private record Lookup(DmarcRecord record, String error, boolean temporary) {
    }

    private static Lookup lookup(String domain, AuthDns dns) {
        DnsAnswer answer = dns.txt("_dmarc." + domain);
        return switch (answer) {
            case DnsAnswer.TempError t -> new Lookup(null, "DMARC record lookup failed: " + t.reason(), true);
            case DnsAnswer.NoRecords n -> new Lookup(null, null, false);
            case DnsAnswer.Records r -> {
                List<String> dmarc = r.values().stream().filter(v -> v.startsWith("v=DMARC1")).toList();
                if (dmarc.size() != 1) {
                    // §6.6.3: none, or several, means no policy.
                    yield new Lookup(null, null, false);
                }
                try {
                    yield new Lookup(DmarcRecord.parse(dmarc.get(0)), null, false);
                } catch (IllegalArgumentException e) {
                    yield new Lookup(null, "DMARC record of " + domain + " " + e.getMessage(), false);
                }
            }
        };
    }
}
