package dev.posthorn.metrics;

import dev.posthorn.codes.Catalogue;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@link MailMetrics} on Micrometer's Prometheus registry. Names follow Prometheus conventions once the registry
 * renders them: {@code posthorn_} prefix, counters end in {@code _total}, times in {@code _seconds}, sizes in
 * {@code _bytes}. Refusals carry the enhanced code and the catalogue's English title of it ({@code meaning}),
 * so a dashboard says what a code is without a lookup.
 */
public final class MicrometerMetrics implements MailMetrics {

    private static final Catalogue CATALOGUE = Catalogue.load(Catalogue.DEFAULT_LANGUAGE);

    /** Acceptance (last octet to 250) is a journal sync away: milliseconds, up to a stuck disk's seconds. */
    private static final Duration[] ACCEPTANCE_BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(5),
            Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
            Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(5)};
    /** Delivery delay spans the retry schedule: seconds to days. */
    private static final Duration[] DELAY_BUCKETS = {Duration.ofSeconds(1), Duration.ofSeconds(10),
            Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMinutes(30), Duration.ofHours(1),
            Duration.ofHours(4), Duration.ofDays(1), Duration.ofDays(5)};

    private final PrometheusMeterRegistry registry;
    private final Map<String, AtomicInteger> active = new ConcurrentHashMap<>();
    private final RecentDeliveries recent = new RecentDeliveries(java.time.Clock.systemUTC());

    public MicrometerMetrics() {
        this(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }

    public MicrometerMetrics(PrometheusMeterRegistry registry) {
        this.registry = registry;
    }

    /** For the gauges the server adds (queue, spool) and for {@code /metrics}. */
    public MeterRegistry registry() {
        return registry;
    }

    /** Delivery attempts of the last hour, for the console's dashboard. */
    public RecentDeliveries recentDeliveries() {
        return recent;
    }

    /** The Prometheus text format (version 0.0.4) of every meter. */
    public String scrape() {
        return registry.scrape();
    }

    @Override
    public void connectionOpened(String port) {
        Counter.builder("posthorn.connections").description("TCP connections that reached a listener")
                .tag("port", port).register(registry).increment();
    }

    @Override
    public void sessionStarted(String port) {
        activeOf(port).incrementAndGet();
    }

    @Override
    public void sessionEnded(String port) {
        activeOf(port).decrementAndGet();
    }

    private AtomicInteger activeOf(String port) {
        return active.computeIfAbsent(port, p -> {
            AtomicInteger count = new AtomicInteger();
            Gauge.builder("posthorn.connections.active", count, AtomicInteger::get)
                    .description("SMTP sessions open now").tag("port", p).strongReference(true).register(registry);
            return count;
        });
    }

    @Override
    public void reply(String port, String command, int code, String enhanced) {
        ReplyKey key = new ReplyKey(port, command, code, enhanced);
        Counter counter = replies.get(key);
        if (counter == null) {
            counter = Counter.builder("posthorn.smtp.replies").description("SMTP replies sent, by the command they answered")
                    .tag("port", port).tag("command", command).tag("code", String.valueOf(code))
                    .tag("enhanced_code", enhanced == null ? "" : enhanced).register(registry);
            if (replies.size() < MAX_CACHED_REPLIES) {
                replies.put(key, counter);
            }
        }
        counter.increment();
    }

    @Override
    public void accepted(String port, long bytes, Duration acceptance) {
        Acceptance meters = acceptances.computeIfAbsent(port, p -> new Acceptance(
                Counter.builder("posthorn.messages.accepted").description("messages accepted with 250")
                        .tag("port", p).register(registry),
                Counter.builder("posthorn.received").baseUnit("bytes").description("octets of accepted messages")
                        .tag("port", p).register(registry),
                Timer.builder("posthorn.acceptance").description("from a message's last octet to its 250")
                        .tag("port", p).serviceLevelObjectives(ACCEPTANCE_BUCKETS).register(registry)));
        meters.messages().increment();
        meters.bytes().increment(bytes);
        meters.time().record(acceptance);
    }

    /*
     * The meters counted for every message are looked up once: building a meter's tags and finding it in the
     * registry was 4% of a session's CPU per message (issue 15's profile). Registered meters are never removed
     * here, so a kept reference stays the registry's. Commands are SmtpProtocol's verb names and codes the
     * server's own replies, except in test mode, where a scripted reply carries the code the test asked for: the
     * cache stops growing at MAX_CACHED_REPLIES (the registry itself holds what it is given, as before).
     */
    private record ReplyKey(String port, String command, int code, String enhanced) {
    }

    private record Acceptance(Counter messages, Counter bytes, Timer time) {
    }

    private static final int MAX_CACHED_REPLIES = 4096;
    private final Map<ReplyKey, Counter> replies = new ConcurrentHashMap<>();
    private final Map<String, Acceptance> acceptances = new ConcurrentHashMap<>();

    @Override
    public void rejected(String port, int code, String enhanced) {
        String key = enhanced != null ? enhanced : String.valueOf(code);
        String meaning = CATALOGUE.find(key).map(entry -> entry.text().title()).orElse("");
        Counter.builder("posthorn.messages.rejected")
                .description("Transactions refused (no 250 for a message), once each, by their first 4xx/5xx reply")
                .tag("port", port).tag("code", String.valueOf(code)).tag("enhanced_code", enhanced == null ? "" : enhanced)
                .tag("meaning", meaning).register(registry).increment();
    }

    @Override
    public void authFailed(String port) {
        Counter.builder("posthorn.auth.failures").description("AUTH answered 535 (wrong credentials)")
                .tag("port", port).register(registry).increment();
    }

    @Override
    public void tls(String port, String version) {
        Counter.builder("posthorn.tls.sessions").description("SMTP sessions that run TLS, by protocol version")
                .tag("port", port).tag("version", version).register(registry).increment();
    }

    @Override
    public void deliveryAttempt(String transport, String result, Duration sinceReceived, boolean first) {
        Counter.builder("posthorn.delivery.attempts").description("delivery attempts, one per recipient")
                .tag("transport", transport).tag("result", result).register(registry).increment();
        recent.record(result);
        if (first) {
            delay("first_attempt", sinceReceived);
        }
        if (!result.equals("deferred")) {
            delay(result, sinceReceived);
        }
    }

    /** Stage "first_attempt": how long a message waited for its first try; the others: until its final outcome. */
    private void delay(String stage, Duration sinceReceived) {
        Timer.builder("posthorn.delivery.delay").description("time from acceptance to a delivery stage")
                .tag("stage", stage).serviceLevelObjectives(DELAY_BUCKETS).register(registry)
                .record(sinceReceived.isNegative() ? Duration.ZERO : sinceReceived);
    }
}
