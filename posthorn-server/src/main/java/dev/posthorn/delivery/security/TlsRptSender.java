package dev.posthorn.delivery.security;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Name;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Sends yesterday's TLS reports (RFC 8460 §3, §5): once a day after midnight UTC, for every policy domain with
 * figures, the {@code _smtp._tls.<domain>} TXT record ({@code v=TLSRPTv1; rua=...}) says where; each
 * {@code mailto:} address gets a mail with the gzip'd JSON report as {@code application/tlsrpt+gzip}, queued like a
 * bounce. {@code https:} destinations are not used (logged): posting is left for later.
 */
public final class TlsRptSender implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TlsRptSender.class);
    private static final Duration CHECK_EVERY = Duration.ofMinutes(10);
    private static final DateTimeFormatter RFC5322 = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z",
            Locale.ENGLISH);

    /** Queues one report mail for one recipient (the queue's notice path: null reverse-path). */
    @FunctionalInterface
    public interface Mailer {
        void submit(String recipient, byte[] message) throws IOException;
    }

    private final TlsRptCollector collector;
    private final DnsLookup dns;
    private final Mailer mailer;
    private final String submitter;
    private final String from;
    private final String contact;
    private final Clock clock;
    /** How long close() waits for a report being queued. */
    static final Duration CLOSE_WAIT = Duration.ofSeconds(30);

    private final CountDownLatch stop = new CountDownLatch(1);
    private volatile Thread thread;
    private volatile boolean running;
    private volatile boolean closing;

    /**
     * @param submitter this server's host name (RFC 8460 §5.3 "Submitter" and the report's organization)
     * @param from      the From: address of the report mails
     */
    public TlsRptSender(TlsRptCollector collector, DnsLookup dns, Mailer mailer, String submitter, String from,
                        String contact, Clock clock) {
        this.collector = collector;
        this.dns = dns;
        this.mailer = mailer;
        this.submitter = submitter;
        this.from = from;
        this.contact = contact;
        this.clock = clock;
    }

    /** Checks every ten minutes for days whose reports are due, and sends them. */
    public void start() {
        running = true;
        thread = Thread.ofVirtual().name("tls-rpt").start(() -> {
            while (running) {
                try {
                    sendDue();
                } catch (RuntimeException e) {
                    LOG.error("TLS report run failed", e);
                }
                try {
                    // Woken early by close(): never interrupted, an interrupt during the spool's FileChannel I/O
                    // would close the channel under the report being queued.
                    if (stop.await(CHECK_EVERY.toMillis(), TimeUnit.MILLISECONDS)) {
                        return;
                    }
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    /** Every past day not yet reported. */
    public void sendDue() {
        collector.flush();
        for (LocalDate day : collector.unsentDaysBefore(LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC))) {
            if (closing) {
                return; // closing: the rest waits for the next start
            }
            send(day);
        }
    }

    /** Sends the reports of one day (tests call it for today) and marks it sent; returns the mails queued. */
    public synchronized int send(LocalDate day) {
        collector.flush();
        TlsRptCollector.Day figures = collector.day(day);
        if (figures.sent) {
            // One report per policy domain per day (RFC 8460 §4.1): never a second one for a day already sent.
            LOG.info("TLS reports of {} were sent already", day);
            return 0;
        }
        Set<String> domains = new LinkedHashSet<>();
        figures.policies.forEach(p -> domains.add(p.domain.toLowerCase(Locale.ROOT)));
        int sent = 0;
        boolean waiting = false;
        for (String domain : domains) {
            if (figures.doneDomains.contains(domain)) {
                continue;
            }
            List<String> rua = reportAddresses(domain);
            if (rua == null) {
                waiting = true; // the _smtp._tls lookup failed: try this domain again at the next run
                continue;
            }
            boolean allQueued = true;
            List<String> pending = rua.stream()
                    .filter(a -> !figures.queuedAddresses.contains(TlsRptCollector.queuedKey(domain, a))).toList();
            if (!pending.isEmpty()) {
                String reportId = day + "_" + domain + "_" + UUID.randomUUID() + "@" + submitter;
                ObjectNode report = TlsReport.json(figures, domain, submitter, contact, reportId);
                byte[] message = mail(domain, day, reportId, TlsReport.gzip(report), rua);
                for (String to : pending) {
                    if (closing) {
                        allQueued = false; // closing: the spool closes next, the rest waits for the next start
                        break;
                    }
                    try {
                        mailer.submit(to, message);
                    } catch (IOException e) {
                        // Not queued (full disk, unhealthy journal, spool closing): the day stays waiting and the
                        // next run tries this address again; a report lost here would never be sent (RFC 8460 §4.1).
                        LOG.error("cannot queue the TLS report for {} of {} to <{}>, will retry: {}", domain, day, to,
                                e.toString());
                        allQueued = false;
                        continue;
                    }
                    sent++;
                    LOG.info("TLS report for {} of {} queued to <{}>", domain, day, to);
                    if (rua.size() > 1) {
                        try {
                            collector.markQueued(day, domain, to);
                        } catch (IOException e) {
                            LOG.error("cannot record the TLS report for {} of {} as queued to <{}>: {}", domain, day,
                                    to, e.toString());
                        }
                    }
                }
            }
            if (!allQueued) {
                waiting = true;
                continue;
            }
            try {
                collector.markDone(day, domain);
            } catch (IOException e) {
                LOG.error("cannot mark the TLS report of {} for {} as sent: {}", day, domain, e.toString());
            }
        }
        if (!waiting) {
            try {
                collector.markSent(day);
            } catch (IOException e) {
                LOG.error("cannot mark the TLS reports of {} as sent: {}", day, e.toString());
            }
        }
        return sent;
    }

    /**
     * The {@code mailto:} addresses of the domain's single {@code v=TLSRPTv1} record (RFC 8460 §3): empty when it
     * asks for no report by mail, null when the lookup failed (try again later).
     */
    List<String> reportAddresses(String domain) {
        Name name;
        try {
            name = Name.fromString("_smtp._tls." + domain + ".");
        } catch (TextParseException e) {
            return List.of();
        }
        DnsAnswer answer = dns.query(name, Type.TXT);
        if (!(answer instanceof DnsAnswer.Found found)) {
            if (answer instanceof DnsAnswer.Failed f) {
                LOG.warn("TLS report for {} waits: its _smtp._tls record cannot be looked up: {}", domain, f.reason());
                return null;
            }
            return List.of();
        }
        List<String> records = found.records().stream().filter(r -> r instanceof TXTRecord)
                .map(r -> String.join("", ((TXTRecord) r).getStrings())).filter(t -> t.startsWith("v=TLSRPTv1")).toList();
        if (records.size() != 1) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        Set<String> seen = new java.util.HashSet<>(); // an address listed twice gets one report
        for (String field : records.get(0).split(";")) {
            String f = field.strip();
            if (!f.startsWith("rua=")) {
                continue;
            }
            for (String uri : f.substring(4).split(",")) {
                String u = uri.strip();
                if (u.regionMatches(true, 0, "mailto:", 0, 7)) {
                    String address = URLDecoder.decode(u.substring(7).split("\\?")[0], StandardCharsets.UTF_8);
                    if (address.matches("[^@\\s<>]+@[^@\\s<>]+") && seen.add(address.toLowerCase(Locale.ROOT))) {
                        out.add(address);
                    }
                } else if (!u.isEmpty()) {
                    LOG.info("TLS report destination {} of {} skipped: only mailto: is supported", u, domain);
                }
            }
        }
        return out;
    }

    /** RFC 8460 §5.3: multipart/report; report-type="tlsrpt" with the gzip'd JSON as application/tlsrpt+gzip. */
    private byte[] mail(String domain, LocalDate day, String reportId, byte[] gz, List<String> to) {
        String boundary = "posthorn-tlsrpt-" + UUID.randomUUID();
        Instant now = clock.instant();
        StringBuilder m = new StringBuilder(gz.length * 2 + 2048);
        m.append("From: TLS reports <").append(from).append(">\r\n");
        m.append("To: ").append(String.join(", ", to.stream().map(a -> "<" + a + ">").toList())).append("\r\n");
        m.append("Subject: Report Domain: ").append(domain).append(" Submitter: ").append(submitter)
                .append(" Report-ID: <").append(reportId).append(">\r\n");
        m.append("Date: ").append(RFC5322.format(ZonedDateTime.ofInstant(now, ZoneOffset.UTC))).append("\r\n");
        m.append("Message-ID: <").append(UUID.randomUUID()).append('@').append(submitter).append(">\r\n");
        m.append("TLS-Report-Domain: ").append(domain).append("\r\n");
        m.append("TLS-Report-Submitter: ").append(submitter).append("\r\n");
        m.append("Auto-Submitted: auto-generated\r\n");
        m.append("MIME-Version: 1.0\r\n");
        m.append("Content-Type: multipart/report; report-type=\"tlsrpt\";\r\n\tboundary=\"").append(boundary)
                .append("\"\r\n\r\n");
        m.append("--").append(boundary).append("\r\n");
        m.append("Content-Type: text/plain; charset=us-ascii\r\n\r\n");
        m.append("This is a TLS report (RFC 8460) for ").append(domain).append(" covering ").append(day)
                .append(" (UTC),\r\nsent by ").append(submitter).append(". The report is attached.\r\n\r\n");
        m.append("--").append(boundary).append("\r\n");
        String file = TlsReport.fileName(submitter, domain, day);
        m.append("Content-Type: application/tlsrpt+gzip; name=\"").append(file).append("\"\r\n");
        m.append("Content-Disposition: attachment; filename=\"").append(file).append("\"\r\n");
        m.append("Content-Transfer-Encoding: base64\r\n\r\n");
        m.append(Base64.getMimeEncoder(76, "\r\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(gz)).append("\r\n");
        m.append("--").append(boundary).append("--\r\n");
        return m.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Stops the sender: the report being queued, if any, is finished (within {@link #CLOSE_WAIT}), so that the
     * spool closed after this (PosthornServer's close order) is not closed under it.
     */
    @Override
    public void close() {
        close(CLOSE_WAIT);
    }

    void close(Duration wait) {
        running = false;
        closing = true;
        stop.countDown();
        if (thread != null) {
            try {
                if (!thread.join(wait)) {
                    LOG.warn("TLS report sender still busy after {}: its unfinished report is retried at the next start",
                            wait);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        collector.flush();
    }
}
