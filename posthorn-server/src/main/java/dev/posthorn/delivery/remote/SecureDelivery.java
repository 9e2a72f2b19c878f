package dev.posthorn.delivery.remote;

import dev.posthorn.delivery.DnsConfig;
import dev.posthorn.delivery.OutboundTlsConfig;
import dev.posthorn.delivery.security.DnsLookup;
import dev.posthorn.delivery.security.DnssecStatus;
import dev.posthorn.delivery.security.MtaSts;
import dev.posthorn.delivery.security.MtaStsCache;
import dev.posthorn.delivery.security.PolicyFetcher;
import dev.posthorn.delivery.security.TlsRptCollector;
import dev.posthorn.delivery.security.TlsRptSender;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.random.RandomGenerator;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * The outbound path's security, wired from {@code [outbound_tls]} and {@code [dns]}: the (validating) resolver, the
 * per-host policy decisions, the TLS report figures under {@code <data>/tls-rpt} and, when enabled, their daily
 * sending. MTA-STS policies are cached under {@code <data>/mta-sts}.
 */
public final class SecureDelivery implements AutoCloseable {

    private final DnsLookup dns;
    private final MxResolver resolver;
    private final TransportSecurity security;
    private final TlsRptCollector collector;
    private final TlsRptSender sender;
    private Thread flusher;

    private SecureDelivery(DnsLookup dns, MxResolver resolver, TransportSecurity security, TlsRptCollector collector,
                           TlsRptSender sender) {
        this.dns = dns;
        this.resolver = resolver;
        this.security = security;
        this.collector = collector;
        this.sender = sender;
    }

    public static SecureDelivery create(OutboundTlsConfig tls, DnsConfig dnsConfig, Path dataDir, String hostname,
                                        Clock clock, TlsRptSender.Mailer mailer) throws IOException {
        var upstream = MxResolver.resolverFor(dnsConfig);
        String servers = dnsConfig.servers == null || dnsConfig.servers.isEmpty()
                ? "the system's resolvers ([dns] servers is empty)" : "[dns] servers = " + dnsConfig.servers;
        DnsLookup dns = tls.dane ? DnsLookup.validating(upstream, tls.trustAnchorFile.isBlank() ? null
                : Path.of(tls.trustAnchorFile), servers) : DnsLookup.plain(upstream);
        X509TrustManager webPki = webPki(tls.mtaStsTrustStore);
        MtaSts mtaSts = null;
        if (tls.mtaSts) {
            SSLContext ctx;
            try {
                ctx = SSLContext.getInstance("TLS");
                ctx.init(null, new TrustManager[] {webPki}, null);
            } catch (GeneralSecurityException e) {
                throw new IOException("no TLS for MTA-STS fetches: " + e.getMessage(), e);
            }
            mtaSts = new MtaSts(dns, new PolicyFetcher(dns, ctx, Duration.ofSeconds(tls.mtaStsTimeoutSeconds),
                    tls.mtaStsPort), new MtaStsCache(dataDir.resolve("mta-sts")), clock);
        }
        TlsRptCollector collector = new TlsRptCollector(dataDir.resolve("tls-rpt"), clock);
        TlsRptSender sender = tls.tlsRpt ? new TlsRptSender(collector, dns, mailer, hostname,
                tls.tlsRptFrom.isBlank() ? "noreply-tlsrpt@" + hostname : tls.tlsRptFrom,
                tls.tlsRptContact.isBlank() ? "postmaster@" + hostname : tls.tlsRptContact, clock) : null;
        return new SecureDelivery(dns, new MxResolver(dns, RandomGenerator.getDefault()),
                new TransportSecurity(dns, tls.dane, mtaSts, webPki, collector), collector, sender);
    }

    /** The CAs of a PEM file, or the JDK's trust store when none is given. */
    public static X509TrustManager webPki(String pemFile) throws IOException {
        try {
            KeyStore anchors = null;
            if (pemFile != null && !pemFile.isBlank()) {
                anchors = KeyStore.getInstance(KeyStore.getDefaultType());
                anchors.load(null, null);
                int i = 0;
                try (InputStream in = Files.newInputStream(Path.of(pemFile))) {
                    for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                        anchors.setCertificateEntry("ca-" + i++, c);
                    }
                }
                if (i == 0) {
                    throw new IOException("outbound_tls.mta_sts_trust_store: no certificate in " + pemFile);
                }
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(anchors);
            for (TrustManager tm : tmf.getTrustManagers()) {
                if (tm instanceof X509TrustManager x) {
                    return x;
                }
            }
            throw new IOException("no X.509 trust manager");
        } catch (GeneralSecurityException e) {
            throw new IOException("outbound_tls.mta_sts_trust_store: " + e.getMessage(), e);
        }
    }

    public MxResolver resolver() {
        return resolver;
    }

    public TransportSecurity security() {
        return security;
    }

    public TlsRptCollector collector() {
        return collector;
    }

    /** The report sender, or null when {@code tls_rpt} is off. */
    public TlsRptSender sender() {
        return sender;
    }

    /** Whether DNSSEC validation works through {@code [dns] servers}; null when DANE is off. */
    public DnssecStatus dnssec() {
        return dns.dnssec();
    }

    /**
     * Starts checking that DNSSEC validation works (in the background: start-up never waits on DNS), saves the TLS
     * figures every 30 seconds (so {@code posthorn tls-report} sees them) and starts the report sender.
     */
    public void start() {
        if (dns.dnssec() != null) {
            dns.dnssec().start();
        }
        flusher = Thread.ofVirtual().name("tls-rpt-flush").start(() -> {
            try {
                while (true) {
                    Thread.sleep(30_000);
                    collector.flush();
                }
            } catch (InterruptedException e) {
                collector.flush();
            }
        });
        if (sender != null) {
            sender.start();
        }
    }

    @Override
    public void close() {
        if (dns.dnssec() != null) {
            dns.dnssec().close();
        }
        if (flusher != null) {
            flusher.interrupt();
        }
        if (sender != null) {
            sender.close();
        }
        collector.flush();
    }
}
