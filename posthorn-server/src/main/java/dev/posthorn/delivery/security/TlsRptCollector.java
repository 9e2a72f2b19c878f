package dev.posthorn.delivery.security;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts outbound TLS sessions per policy domain and UTC day, the figures of a TLS report (RFC 8460 §4): for each
 * policy (DANE TLSA records, an MTA-STS policy, or none found) the successful sessions and the failures by result
 * type, MX host and address. Kept in memory and written to {@code <data>/tls-rpt/<day>.json} at most every
 * {@link #FLUSH_EVERY_SESSIONS} sessions, on {@link #flush()} and at shutdown, so figures survive restarts.
 */
public final class TlsRptCollector {

    private static final Logger LOG = LoggerFactory.getLogger(TlsRptCollector.class);
    static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    private static final int FLUSH_EVERY_SESSIONS = 50;

    /** The policy a session was judged by (RFC 8460 §4.4 "policy"). */
    public record Policy(String domain, String type, List<String> strings, String mxHost) {
        public static final String TLSA = "tlsa";
        public static final String STS = "sts";
        public static final String NONE = "no-policy-found";

        public Policy {
            strings = strings == null ? List.of() : List.copyOf(strings);
        }

        public static Policy none(String domain) {
            return new Policy(domain, NONE, List.of(), null);
        }
    }

    /** One day's figures, as stored. Mutable for Jackson; guarded by the collector. */
    public static final class Day {
        public LocalDate day;
        public boolean sent;
        /** Policy domains whose report is done (sent, or not asked for) while others wait on a DNS failure. */
        public List<String> doneDomains = new ArrayList<>();
        /**
         * {@code domain address} pairs (lower case) already queued for a domain not yet done: when one of a domain's
         * rua addresses could not be queued, the retry sends to the others only, never twice to one address.
         */
        public List<String> queuedAddresses = new ArrayList<>();
        public List<PolicyFigures> policies = new ArrayList<>();
    }

    public static final class PolicyFigures {
        public String domain;
        public String type;
        public List<String> strings = new ArrayList<>();
        public String mxHost;
        public long successes;
        public List<FailureFigures> failures = new ArrayList<>();

        public long failureCount() {
            return failures.stream().mapToLong(f -> f.count).sum();
        }
    }

    public static final class FailureFigures {
        public String resultType;
        public String mxHost;
        public String receivingIp;
        public String detail;
        public long count;
    }

    private final Path dir;
    private final Clock clock;
    private Day today;
    private int unsaved;

    public TlsRptCollector(Path dir, Clock clock) {
        this.dir = dir;
        this.clock = clock;
    }

    public synchronized void success(Policy policy) {
        figures(policy).successes++;
        changed();
    }

    /**
     * @param mxHost      the MX host name the session was with
     * @param receivingIp its address, or null when no connection was made
     */
    public synchronized void failure(Policy policy, TlsRptResult result, String mxHost, String receivingIp, String detail) {
        PolicyFigures p = figures(policy);
        String info = detail == null ? null : detail.length() > 300 ? detail.substring(0, 300) + "…" : detail;
        for (FailureFigures f : p.failures) {
            if (f.resultType.equals(result.type()) && Objects.equals(f.mxHost, mxHost)
                    && Objects.equals(f.receivingIp, receivingIp)) {
                f.count++;
                f.detail = info;
                changed();
                return;
            }
        }
        FailureFigures f = new FailureFigures();
        f.resultType = result.type();
        f.mxHost = mxHost;
        f.receivingIp = receivingIp;
        f.detail = info;
        f.count = 1;
        p.failures.add(f);
        changed();
    }

    /** The figures of one UTC day: today's live ones, or a past day's from disk (empty when none were kept). */
    public synchronized Day day(LocalDate date) {
        if (today != null && today.day.equals(date)) {
            return copy(today);
        }
        return read(date);
    }

    /** Marks a past day's report as sent, so it goes out once. */
    public synchronized void markSent(LocalDate date) throws IOException {
        Day d = date.equals(current().day) ? today : read(date);
        d.sent = true;
        write(d);
    }

    /** Marks one domain's report of a past day as done, so a retry of that day does not send it twice. */
    public synchronized void markDone(LocalDate date, String domain) throws IOException {
        Day d = date.equals(current().day) ? today : read(date);
        if (!d.doneDomains.contains(domain)) {
            d.doneDomains.add(domain);
        }
        write(d);
    }

    /** Records that one domain's report of a day was queued to one of its addresses (see {@link Day#queuedAddresses}). */
    public synchronized void markQueued(LocalDate date, String domain, String address) throws IOException {
        Day d = date.equals(current().day) ? today : read(date);
        String key = queuedKey(domain, address);
        if (!d.queuedAddresses.contains(key)) {
            d.queuedAddresses.add(key);
        }
        write(d);
    }

    static String queuedKey(String domain, String address) {
        return (domain + " " + address).toLowerCase(java.util.Locale.ROOT);
    }

    /** Reports older than this are not sent any more: nobody reads last month's TLS report. */
    private static final int SEND_WITHIN_DAYS = 7;

    /** Past days (of the last week) with figures whose report was not sent yet, oldest first. */
    public synchronized List<LocalDate> unsentDaysBefore(LocalDate date) {
        List<LocalDate> days = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return days;
        }
        try (var files = Files.list(dir)) {
            files.map(p -> p.getFileName().toString()).filter(n -> n.matches("\\d{4}-\\d\\d-\\d\\d\\.json"))
                    .map(n -> LocalDate.parse(n.substring(0, 10)))
                    .filter(d -> d.isBefore(date) && !d.isBefore(date.minusDays(SEND_WITHIN_DAYS))).sorted()
                    .forEach(d -> {
                        if (!read(d).sent) {
                            days.add(d);
                        }
                    });
        } catch (IOException e) {
            LOG.error("cannot list TLS report figures in {}: {}", dir, e.toString());
        }
        return days;
    }

    public synchronized void flush() {
        if (today != null && unsaved > 0) {
            try {
                write(today);
                unsaved = 0;
            } catch (IOException e) {
                LOG.error("cannot save TLS report figures in {}: {}", dir, e.toString());
            }
        }
    }

    private PolicyFigures figures(Policy policy) {
        for (PolicyFigures p : current().policies) {
            if (p.domain.equals(policy.domain()) && p.type.equals(policy.type()) && p.strings.equals(policy.strings())
                    && Objects.equals(p.mxHost, policy.mxHost())) {
                return p;
            }
        }
        PolicyFigures p = new PolicyFigures();
        p.domain = policy.domain();
        p.type = policy.type();
        p.strings = new ArrayList<>(policy.strings());
        p.mxHost = policy.mxHost();
        today.policies.add(p);
        return p;
    }

    /** Today's figures; at midnight UTC yesterday's are saved and a new day begins. */
    private Day current() {
        LocalDate date = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
        if (today == null || !today.day.equals(date)) {
            if (today != null) {
                flush();
            }
            today = read(date);
            unsaved = 0;
        }
        return today;
    }

    private void changed() {
        if (++unsaved >= FLUSH_EVERY_SESSIONS) {
            flush();
        }
    }

    private Day read(LocalDate date) {
        Path file = dir.resolve(date + ".json");
        if (Files.exists(file)) {
            try {
                return JSON.readValue(file.toFile(), Day.class);
            } catch (IOException e) {
                LOG.error("unreadable TLS report figures {}: {}", file, e.toString());
            }
        }
        Day d = new Day();
        d.day = date;
        return d;
    }

    private void write(Day d) throws IOException {
        Files.createDirectories(dir);
        Path tmp = dir.resolve(d.day + ".json.tmp");
        Files.write(tmp, JSON.writeValueAsBytes(d));
        try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            c.force(true);
        }
        Files.move(tmp, dir.resolve(d.day + ".json"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static Day copy(Day d) {
        try {
            return JSON.readValue(JSON.writeValueAsBytes(d), Day.class);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
