package dev.posthorn.auth;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts failed authentications per client IP and per user in a sliding window and says what to do
 * with the next attempt. How the session uses it:
 * <ul>
 *   <li>before running AUTH: {@link #check(InetAddress)}; {@link Verdict#DELAY}: wait {@link #delay()},
 *       answer {@code 454 4.7.0}; {@link Verdict#DISCONNECT}: answer {@code 421 4.7.0} and close;</li>
 *   <li>after the mechanism succeeds: {@link #check(InetAddress, String)} with the identity, since a
 *       user under attack from many addresses is refused (454) even with the right password until the
 *       window passes; then {@link #recordSuccess};</li>
 *   <li>after a failure: {@link #recordFailure}.</li>
 * </ul>
 * Memory is bounded: entries expire with the window, and at most {@code maxTrackedKeys} IPs and users
 * are tracked (the least recently failed are dropped first). Thread-safe.
 */
public final class AuthThrottle {

    private static final Logger LOG = LoggerFactory.getLogger(AuthThrottle.class);
    static final int DEFAULT_MAX_TRACKED_KEYS = 100_000;

    public enum Verdict { ALLOW, DELAY, DISCONNECT }

    private final int maxPerIp;
    private final int maxPerUser;
    private final int disconnectAfter;
    private final Duration window;
    private final Duration delay;
    private final Clock clock;
    private final int maxTrackedKeys;
    // Access order: the least recently touched entry is the first to go when full.
    private final LinkedHashMap<String, ArrayDeque<Instant>> byIp = new LinkedHashMap<>(16, 0.75f, true);
    private final LinkedHashMap<String, ArrayDeque<Instant>> byUser = new LinkedHashMap<>(16, 0.75f, true);

    public AuthThrottle(AuthConfig config) {
        this(config, Clock.systemUTC());
    }

    public AuthThrottle(AuthConfig config, Clock clock) {
        this(config, clock, DEFAULT_MAX_TRACKED_KEYS);
    }

    AuthThrottle(AuthConfig config, Clock clock, int maxTrackedKeys) {
        config.validate();
        this.maxPerIp = config.maxFailuresPerIp;
        this.maxPerUser = config.maxFailuresPerUser;
        this.disconnectAfter = config.disconnectAfterFailures;
        this.window = Duration.ofSeconds(config.failureWindowSeconds);
        this.delay = Duration.ofSeconds(config.throttleDelaySeconds);
        this.clock = clock;
        this.maxTrackedKeys = maxTrackedKeys;
    }

    /** How long to wait before answering {@code 454} to a delayed attempt. */
    public Duration delay() {
        return delay;
    }

    /** The verdict for the next AUTH from this address. */
    public synchronized Verdict check(InetAddress ip) {
        int failures = count(byIp, ip.getHostAddress(), clock.instant());
        if (failures >= disconnectAfter) {
            return Verdict.DISCONNECT;
        }
        return failures >= maxPerIp ? Verdict.DELAY : Verdict.ALLOW;
    }

    /** The verdict for this address and user: the stricter of the IP's and the user's. */
    public synchronized Verdict check(InetAddress ip, String user) {
        Verdict byAddress = check(ip);
        if (byAddress != Verdict.ALLOW || user == null) {
            return byAddress;
        }
        return count(byUser, userKey(user), clock.instant()) >= maxPerUser ? Verdict.DELAY : Verdict.ALLOW;
    }

    /** Counts a failure; {@code user} may be null when the client never named one. */
    public synchronized void recordFailure(InetAddress ip, String user) {
        Instant now = clock.instant();
        int ipFailures = add(byIp, ip.getHostAddress(), now);
        int userFailures = user == null ? 0 : add(byUser, userKey(user), now);
        LOG.info("auth failure ip={} user={} failures_ip={} failures_user={}", ip.getHostAddress(),
                user == null ? "-" : user, ipFailures, userFailures);
    }

    /**
     * A success clears the user's failures (whoever succeeded knows the password) but not the
     * IP's: one valid account must not let an address keep guessing the passwords of others.
     */
    public synchronized void recordSuccess(InetAddress ip, String user) {
        if (user != null) {
            byUser.remove(userKey(user));
        }
        LOG.info("auth success ip={} user={}", ip.getHostAddress(), user);
    }

    /** Number of IPs and users currently tracked (for tests and metrics). */
    public synchronized int trackedKeys() {
        Instant now = clock.instant();
        expireAll(byIp, now);
        expireAll(byUser, now);
        return byIp.size() + byUser.size();
    }

    private int count(Map<String, ArrayDeque<Instant>> map, String key, Instant now) {
        ArrayDeque<Instant> times = map.get(key);
        if (times == null) {
            return 0;
        }
        expire(times, now);
        if (times.isEmpty()) {
            map.remove(key);
            return 0;
        }
        return times.size();
    }

    private int add(LinkedHashMap<String, ArrayDeque<Instant>> map, String key, Instant now) {
        ArrayDeque<Instant> times = map.computeIfAbsent(key, k -> new ArrayDeque<>());
        expire(times, now);
        times.addLast(now);
        // No verdict needs more than the largest threshold, so older entries need not be kept.
        int keep = Math.max(Math.max(maxPerIp, maxPerUser), disconnectAfter);
        while (times.size() > keep) {
            times.removeFirst();
        }
        if (map.size() > maxTrackedKeys) {
            expireAll(map, now);
            Iterator<String> oldest = map.keySet().iterator();
            while (map.size() > maxTrackedKeys && oldest.hasNext()) {
                oldest.next();
                oldest.remove();
            }
        }
        return times.size();
    }

    private void expire(ArrayDeque<Instant> times, Instant now) {
        Instant cutoff = now.minus(window);
        while (!times.isEmpty() && !times.peekFirst().isAfter(cutoff)) {
            times.removeFirst();
        }
    }

    private void expireAll(Map<String, ArrayDeque<Instant>> map, Instant now) {
        map.values().removeIf(times -> {
            expire(times, now);
            return times.isEmpty();
        });
    }

    private static String userKey(String user) {
        return user.toLowerCase(Locale.ROOT);
    }
}
