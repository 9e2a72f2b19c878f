package dev.posthorn.cli;

import dev.posthorn.delivery.DnsConfig;
import dev.posthorn.delivery.remote.MxResolver;
import dev.posthorn.delivery.remote.SecureDelivery;
import dev.posthorn.delivery.security.DaneTrustManager;
import dev.posthorn.delivery.security.DnsAnswer;
import dev.posthorn.delivery.security.DnsLookup;
import dev.posthorn.delivery.security.DnssecStatus;
import dev.posthorn.delivery.security.MtaSts;
import dev.posthorn.delivery.security.MtaStsCache;
import dev.posthorn.delivery.security.PolicyFetcher;
import dev.posthorn.delivery.security.SecurityLevel;
import dev.posthorn.delivery.security.Tlsa;
import dev.posthorn.delivery.security.WebPkiTrustManager;
import dev.posthorn.probe.PolicyCheck;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.xbill.DNS.Name;
import org.xbill.DNS.TLSARecord;
import org.xbill.DNS.Type;

/** {@code posthorn probe --dane | --mta-sts}: the policy a host must meet, looked up as outbound delivery does. */
final class ProbePolicies {

    private ProbePolicies() {
    }

    static PolicyCheck check(String host, boolean dane, String mtaStsDomain, List<String> dnsServers, Path anchor,
                             Duration timeout) {
        DnsConfig config = new DnsConfig();
        config.servers = dnsServers;
        config.timeoutSeconds = (int) Math.max(1, timeout.toSeconds());
        try {
            var upstream = MxResolver.resolverFor(config);
            if (dane) {
                return dane(host, DnsLookup.validating(upstream, anchor, dnsServers == null || dnsServers.isEmpty()
                        ? "the system's resolvers" : "--dns " + String.join(",", dnsServers)));
            }
            return mtaSts(host, mtaStsDomain, DnsLookup.plain(upstream), timeout);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static PolicyCheck dane(String host, DnsLookup dns) throws IOException {
        String owner = "_25._tcp." + host;
        // As delivery does: when validation does not work through the resolvers at all, DANE cannot be checked.
        if (dns.dnssec().check() == DnssecStatus.Verdict.UNAVAILABLE) {
            return new PolicyCheck(SecurityLevel.DANE, "TLSA " + owner, null, "DNSSEC unavailable: "
                    + dns.dnssec().unavailableReason() + " (use --dns with a resolver that passes DNSSEC records "
                    + "through, e.g. a local unbound)");
        }
        DnsAnswer answer = dns.query(Name.fromString(owner + "."), Type.TLSA);
        return switch (answer) {
            case DnsAnswer.Failed f -> new PolicyCheck(SecurityLevel.DANE, "TLSA " + owner, null,
                    "the TLSA lookup failed: " + f.reason());
            case DnsAnswer.Found found when found.secure() -> {
                List<Tlsa> usable = found.records().stream().filter(r -> r instanceof TLSARecord)
                        .map(r -> Tlsa.of((TLSARecord) r)).filter(Tlsa::usable).toList();
                yield usable.isEmpty()
                        ? new PolicyCheck(SecurityLevel.OPPORTUNISTIC, "TLSA " + owner + ": no usable record, TLS required",
                        null, null)
                        : new PolicyCheck(SecurityLevel.DANE, usable.get(0).describe(),
                        new DaneTrustManager(usable, List.of(host)), null);
            }
            default -> new PolicyCheck(SecurityLevel.DANE, "TLSA " + owner, null,
                    "no DNSSEC-signed TLSA record at " + owner + ": DANE does not apply to " + host);
        };
    }

    private static PolicyCheck mtaSts(String host, String domain, DnsLookup dns, Duration timeout) throws IOException {
        X509TrustManager webPki = SecureDelivery.webPki(null);
        SSLContext ctx;
        try {
            ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {webPki}, null);
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException(e);
        }
        // A probe keeps no policy: it fetches afresh into a cache that is thrown away.
        Path cache = Files.createTempDirectory("posthorn-probe-mta-sts");
        MtaSts.Lookup lookup;
        try {
            lookup = new MtaSts(dns, new PolicyFetcher(dns, ctx, timeout, 443), new MtaStsCache(cache),
                    Clock.systemUTC()).lookup(domain);
        } finally {
            try (var files = Files.list(cache)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(cache);
        }
        if (lookup.policy() == null) {
            return new PolicyCheck(SecurityLevel.MTA_STS, "MTA-STS of " + domain, null, lookup.failure() == null
                    ? "no MTA-STS policy for " + domain : lookup.failure().type() + ": " + lookup.detail());
        }
        if (!lookup.policy().allows(host)) {
            return new PolicyCheck(SecurityLevel.MTA_STS, lookup.policy().describe(), null, "MX host " + host
                    + " is not allowed by the policy's mx patterns " + lookup.policy().mx());
        }
        return new PolicyCheck(SecurityLevel.MTA_STS, lookup.policy().describe(), new WebPkiTrustManager(webPki, host,
                true), null);
    }
}
