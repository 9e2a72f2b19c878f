package dev.posthorn.delivery.remote;

import dev.posthorn.codes.ReplyName;
import dev.posthorn.delivery.security.CheckingTrustManager;
import dev.posthorn.delivery.security.DaneTrustManager;
import dev.posthorn.delivery.security.DnsAnswer;
import dev.posthorn.delivery.security.DnsLookup;
import dev.posthorn.delivery.security.MtaSts;
import dev.posthorn.delivery.security.MtaStsPolicy;
import dev.posthorn.delivery.security.SecurityLevel;
import dev.posthorn.delivery.security.TlsRptCollector;
import dev.posthorn.delivery.security.TlsRptResult;
import dev.posthorn.delivery.security.TlsSecurity;
import dev.posthorn.delivery.security.Tlsa;
import dev.posthorn.delivery.security.WebPkiTrustManager;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.X509TrustManager;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.TLSARecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Decides, per MX host, what TLS delivery needs: DANE when the MX RRset and the host's addresses are DNSSEC-secure
 * and it has usable TLSA records (RFC 7672), else the domain's MTA-STS policy (RFC 8461; DANE takes precedence,
 * §2), else the route's opportunistic TLS. A TLSA lookup that fails (SERVFAIL, bogus) refuses the host: it is
 * never taken as "no TLSA" (RFC 7672 §2.2). Also counts each session for the TLS report.
 */
public final class TransportSecurity {

    private final DnsLookup dns;
    private final boolean dane;
    private final MtaSts mtaSts;
    private final X509TrustManager webPki;
    private final TlsRptCollector report;
    private volatile X509TrustManager systemPki;

    /**
     * @param dns    validating lookups when {@code dane} is on
     * @param mtaSts null when MTA-STS is off
     * @param webPki the CAs MTA-STS certificates must chain to
     * @param report where sessions are counted, or null
     */
    public TransportSecurity(DnsLookup dns, boolean dane, MtaSts mtaSts, X509TrustManager webPki, TlsRptCollector report) {
        if (dane && !dns.validating()) {
            throw new IllegalArgumentException("DANE needs validating DNS lookups");
        }
        this.dns = dns;
        this.dane = dane;
        this.mtaSts = mtaSts;
        this.webPki = webPki;
        this.report = report;
    }

    /**
     * The operator's {@code tls = "verify"} as a certificate check: a chain the JDK's trust store accepts and a
     * certificate valid for {@code host}, as a route with that setting demands. Applied under every receiving
     * domain's policy too: none may lower what the operator asked for.
     */
    public CheckingTrustManager verifying(String host) {
        X509TrustManager pki = systemPki;
        if (pki == null) {
            try {
                pki = SecureDelivery.webPki(null);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            systemPki = pki;
        }
        return new WebPkiTrustManager(pki, host, true);
    }

    /** The MTA-STS policy that applies to a domain (none when MTA-STS is off). */
    public MtaSts.Lookup domainPolicy(String domain) {
        return mtaSts == null ? new MtaSts.Lookup(null, null, null) : mtaSts.lookup(domain);
    }

    /** The plan for one MX host of {@code domain}. */
    public HostPlan plan(String domain, MxResult.Hosts hosts, MxResult.MxHost host, MtaSts.Lookup sts) {
        if (dane && dns.dnssecAvailable() && hosts.secure() && host.secure()) {
            HostPlan byDane = daneFor(domain, hosts, host);
            if (byDane != null) {
                return byDane;
            }
        }
        MtaStsPolicy p = sts.policy();
        if (p != null) {
            TlsRptCollector.Policy counted = new TlsRptCollector.Policy(domain, TlsRptCollector.Policy.STS, p.lines(),
                    String.join(" ", p.mx()));
            TlsSecurity aim = TlsSecurity.of(SecurityLevel.MTA_STS, p.describe());
            boolean enforce = p.mode() == MtaStsPolicy.Mode.ENFORCE;
            if (!p.allows(host.name())) {
                String detail = "MX host " + host.name() + " is not among the mx patterns " + p.mx();
                if (enforce) {
                    // RFC 8461 §4.1: in enforce mode, only MX hosts that match the policy may be used.
                    var r = ReplyName.MTA_STS_MX_NOT_ALLOWED.reply(p.describe() + " of " + domain, host.name(),
                            String.join(", ", p.mx()));
                    return new HostPlan(HostPlan.Mode.REFUSE, aim.failed(TlsRptResult.VALIDATION_FAILURE, detail), null,
                            RemoteReply.of(r), counted, "MTA-STS");
                }
                // Testing: deliver as if there were no policy, and report it (RFC 8461 §5).
                return new HostPlan(HostPlan.Mode.TESTING, aim.failed(TlsRptResult.VALIDATION_FAILURE, detail),
                        new WebPkiTrustManager(webPki, host.name(), false), null, counted, "MTA-STS");
            }
            return new HostPlan(enforce ? HostPlan.Mode.AUTHENTICATED : HostPlan.Mode.TESTING, aim,
                    new WebPkiTrustManager(webPki, host.name(), enforce), null, counted, "MTA-STS");
        }
        TlsRptCollector.Policy counted = sts.failure() != null
                ? new TlsRptCollector.Policy(domain, TlsRptCollector.Policy.STS, List.of(), null)
                : TlsRptCollector.Policy.none(domain);
        String decided = sts.failure() != null ? "no usable MTA-STS policy (" + sts.failure().type() + ")"
                : "no DANE or MTA-STS policy";
        String dnssecDown = dane && dns.dnssec() != null ? dns.dnssec().unavailableReason() : null;
        if (dnssecDown != null) {
            // DANE could not even be looked for: say so on every attempt, not only in the log.
            decided = "DNSSEC unavailable: " + dnssecDown + (sts.failure() != null ? "; " + decided : "");
        }
        TlsSecurity aim = new TlsSecurity(SecurityLevel.OPPORTUNISTIC, decided, sts.failure(), sts.detail());
        return new HostPlan(HostPlan.Mode.ROUTE, aim, null, null, counted, null);
    }

    /** DANE for a secure host, or null when it has no TLSA records (then DANE does not apply). */
    private HostPlan daneFor(String domain, MxResult.Hosts hosts, MxResult.MxHost host) {
        List<String> names = new ArrayList<>();
        if (host.canonical() != null) {
            names.add(host.canonical()); // RFC 7672 §2.2.2: the expanded name first, then the original
        }
        names.add(host.name());
        for (String base : names) {
            String owner = "_25._tcp." + base;
            Name qname;
            try {
                qname = Name.fromString(owner + ".");
            } catch (TextParseException e) {
                continue;
            }
            switch (dns.query(qname, Type.TLSA)) {
                case DnsAnswer.Failed f -> {
                    TlsRptCollector.Policy counted = new TlsRptCollector.Policy(domain, TlsRptCollector.Policy.TLSA,
                            List.of(), host.name());
                    TlsSecurity aim = TlsSecurity.of(SecurityLevel.DANE, "TLSA " + owner + " (lookup failed)")
                            .failed(TlsRptResult.DNSSEC_INVALID, f.reason());
                    var r = ReplyName.DANE_TLSA_LOOKUP_FAILED.reply(owner, f.reason(), host.name());
                    return new HostPlan(HostPlan.Mode.REFUSE, aim, null, RemoteReply.of(r), counted, "DANE");
                }
                case DnsAnswer.Found found when found.secure() -> {
                    List<Tlsa> all = new ArrayList<>();
                    for (Record rec : found.records()) {
                        if (rec instanceof TLSARecord t) {
                            all.add(Tlsa.of(t));
                        }
                    }
                    List<Tlsa> usable = all.stream().filter(Tlsa::usable).toList();
                    TlsRptCollector.Policy counted = new TlsRptCollector.Policy(domain, TlsRptCollector.Policy.TLSA,
                            all.stream().map(t -> owner + " TLSA " + t.shortText()).toList(), host.name());
                    if (usable.isEmpty()) {
                        // RFC 7672 §2.2: TLSA records, none usable: TLS is still mandatory, unauthenticated.
                        return new HostPlan(HostPlan.Mode.ENCRYPTED, TlsSecurity.of(SecurityLevel.OPPORTUNISTIC,
                                "TLSA " + owner + ": no usable record, TLS required"), null, null, counted, "DANE",
                                base);
                    }
                    String decided = usable.get(0).describe() + (usable.size() > 1 ? " (+" + (usable.size() - 1)
                            + " more)" : "");
                    return new HostPlan(HostPlan.Mode.AUTHENTICATED, TlsSecurity.of(SecurityLevel.DANE, decided),
                            new DaneTrustManager(usable, referenceNames(base, domain, hosts)), null, counted, "DANE",
                            base);
                }
                default -> {
                    // No TLSA here (or an insecure answer, which is as none): try the next name.
                }
            }
        }
        return null;
    }

    /**
     * The names a DANE-TA certificate may carry (RFC 7672 §3.2.2): the TLSA base domain first, then the next-hop
     * domain (the MX RRset being secure) and its CNAME-expanded name. The MX host name itself only when it is the
     * base domain: an alias whose TLSA records were found at its target is known by the target's name.
     */
    private static List<String> referenceNames(String base, String domain, MxResult.Hosts hosts) {
        List<String> names = new ArrayList<>(List.of(base));
        for (String n : new String[] {domain, hosts.canonical()}) {
            if (n != null && names.stream().noneMatch(n::equalsIgnoreCase)) {
                names.add(n);
            }
        }
        return names;
    }

    /**
     * Counts one session under {@code plan} for the TLS report: a failure when {@code reached} names one, else a
     * success when TLS was used; a plaintext session counts as "starttls-not-supported".
     *
     * @param ip the MX host's address, or null when no connection was made
     */
    void record(HostPlan plan, TlsSecurity reached, String mxHost, String ip) {
        if (report == null) {
            return;
        }
        if (reached.failure() != null) {
            report.failure(plan.policy(), reached.failure(), mxHost, ip, reached.detail());
        } else if (reached.level() == SecurityLevel.NONE) {
            report.failure(plan.policy(), TlsRptResult.STARTTLS_NOT_SUPPORTED, mxHost, ip, "plaintext session");
        } else {
            report.success(plan.policy());
        }
    }
}
