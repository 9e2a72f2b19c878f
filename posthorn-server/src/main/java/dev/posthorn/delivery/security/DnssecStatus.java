package dev.posthorn.delivery.security;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Name;

/**
 * Whether DNSSEC validation works through the configured resolvers at all. Posthorn validates answers itself, from
 * the trust anchor down, so the resolvers must pass DNSSEC records (RRSIG, DNSKEY, DS, NSEC) through; one that
 * strips them makes every answer bogus, even for unsigned domains (their insecurity can only be proved with signed
 * records from the anchor down), and all outbound mail would wait. So the anchor's own zone ({@code . DNSKEY} with
 * the built-in root anchors) is asked at start-up, every {@link #RECHECK_EVERY} and after
 * {@link #BOGUS_RUN} bogus answers in a row: when it does not validate, DNSSEC is unavailable, lookups are made
 * without validation (DANE does not apply; MTA-STS still does) and the operator is told in one loud line how to fix
 * it. A check that gets no answer at all (time-out, server failure) proves nothing and changes nothing: mail then
 * waits on DNS anyway. A bogus answer for one domain while the anchor validates is an attack or a broken zone, and
 * still defers that domain.
 */
public final class DnssecStatus implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DnssecStatus.class);
    static final Duration RECHECK_EVERY = Duration.ofMinutes(10);
    static final int BOGUS_RUN = 5;
    /** Bogus answers wake the check at most this often. */
    private static final Duration MIN_GAP = Duration.ofSeconds(10);

    /** What one check found. */
    public enum Verdict {
        AVAILABLE,
        UNAVAILABLE,
        /** No answer to judge by (the resolvers failed or timed out): the previous state stands. */
        UNKNOWN
    }

    private final Function<Name, DnsAnswer> validatedDnskey;
    private final List<Name> anchorZones;
    private final String servers;
    private final AtomicInteger bogusInARow = new AtomicInteger();
    private final Semaphore wake = new Semaphore(0);
    private final Object threadLock = new Object();
    private volatile String unavailable;
    private volatile long lastCheck = System.nanoTime() - MIN_GAP.toNanos();
    /** Whether a check has had an answer to judge by. */
    private volatile boolean judged;
    private Thread thread;

    /**
     * @param validatedDnskey asks a zone's DNSKEY records through the validator, whatever the state
     * @param anchorZones     the zones of the trust anchors
     * @param servers         the resolvers asked, for the operator ("[dns] servers = [...]")
     */
    DnssecStatus(Function<Name, DnsAnswer> validatedDnskey, List<Name> anchorZones, String servers) {
        this.validatedDnskey = validatedDnskey;
        this.anchorZones = List.copyOf(anchorZones);
        this.servers = servers;
    }

    /** True unless a check showed that validation does not work (assumed to work until checked). */
    public boolean available() {
        return unavailable == null;
    }

    /** Why DNSSEC is unavailable, or null. */
    public String unavailableReason() {
        return unavailable;
    }

    /** Checks the anchors' zones now, updates the state and logs a change. */
    public synchronized Verdict check() {
        lastCheck = System.nanoTime();
        String failed = null;
        for (Name zone : anchorZones) {
            switch (validatedDnskey.apply(zone)) {
                case DnsAnswer.Found f when f.secure() && !f.records().isEmpty() -> {
                    // This anchor's zone validates.
                }
                case DnsAnswer.Failed f when !f.bogus() -> {
                    LOG.info("cannot check DNSSEC validation through {}: {}", servers, f.reason());
                    return Verdict.UNKNOWN;
                }
                case DnsAnswer.Failed f -> failed = f.reason();
                default -> failed = "the DNSKEY records of the trust anchor's zone " + zone
                        + " came without DNSSEC proof";
            }
            if (failed != null) {
                break;
            }
        }
        judged = true;
        if (failed == null) {
            bogusInARow.set(0);
            if (unavailable != null) {
                LOG.info("DNSSEC validation through {} works again: DANE applies again", servers);
            }
            unavailable = null;
            return Verdict.AVAILABLE;
        }
        if (unavailable == null) {
            LOG.error("DNSSEC is unavailable through {}: {}. DANE is off and MX lookups are not validated until "
                    + "this is fixed (mail still flows, MTA-STS still applies). Fix: point [dns] servers at a "
                    + "resolver that passes DNSSEC records through (e.g. a local unbound), or set [outbound_tls] "
                    + "dane = false to silence this.", servers, failed);
        }
        unavailable = failed;
        return Verdict.UNAVAILABLE;
    }

    /**
     * Checks now unless a check has already judged: the verdict, or the standing one. Called on a bogus answer so
     * that the first lookups (made before the start-up check ends) are not deferred by a stripping resolver.
     */
    public synchronized Verdict checkIfNeverChecked() {
        if (judged) {
            return available() ? Verdict.AVAILABLE : Verdict.UNAVAILABLE;
        }
        return check();
    }

    /** Told of every validated answer: a run of bogus ones may mean the resolvers stopped passing DNSSEC. */
    void observed(DnsAnswer answer) {
        if (!(answer instanceof DnsAnswer.Failed f && f.bogus())) {
            if (!(answer instanceof DnsAnswer.Failed)) {
                bogusInARow.set(0);
            }
            return;
        }
        if (bogusInARow.incrementAndGet() >= BOGUS_RUN && System.nanoTime() - lastCheck >= MIN_GAP.toNanos()) {
            bogusInARow.set(0);
            wake.release();
        }
    }

    /** Checks at once, then every ten minutes and when woken by bogus answers, until closed. */
    public void start() {
        synchronized (threadLock) {
            if (thread != null) {
                return;
            }
            thread = Thread.ofVirtual().name("dnssec-check").start(() -> {
                try {
                    while (!Thread.currentThread().isInterrupted()) {
                        check();
                        if (wake.tryAcquire(RECHECK_EVERY.toMillis(), TimeUnit.MILLISECONDS)) {
                            wake.drainPermits();
                        }
                    }
                } catch (InterruptedException e) {
                    // Closed.
                }
            });
        }
    }

    @Override
    public void close() {
        synchronized (threadLock) {
            if (thread != null) {
                thread.interrupt();
                thread = null;
            }
        }
    }
}
