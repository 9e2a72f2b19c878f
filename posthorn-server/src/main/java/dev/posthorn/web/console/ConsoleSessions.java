package dev.posthorn.web.console;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The console's logged-in sessions, in memory (a restart logs everyone out): a random id in an HttpOnly,
 * SameSite=Strict cookie, and per session a random CSRF token that every form carries back. Idle sessions end
 * after {@link #IDLE}; at most {@link #MAX_SESSIONS} live at once (the oldest goes first).
 */
final class ConsoleSessions {

    static final String COOKIE = "posthorn_console";
    static final Duration IDLE = Duration.ofMinutes(30);
    static final int MAX_SESSIONS = 1_000;

    /**
     * One administrator's session; {@code credential} fingerprints the password it was opened with
     * ({@code AdminLogin.credential}); {@code lastSeen} moves with each request.
     */
    record Session(String id, String account, String credential, String csrf, Instant lastSeen) {
    }

    private final SecureRandom random = new SecureRandom();
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final Clock clock;

    ConsoleSessions(Clock clock) {
        this.clock = clock;
    }

    Session open(String account, String credential) {
        Instant now = clock.instant();
        sessions.values().removeIf(s -> s.lastSeen().plus(IDLE).isBefore(now));
        while (sessions.size() >= MAX_SESSIONS) {
            sessions.values().stream().min(java.util.Comparator.comparing(Session::lastSeen))
                    .ifPresent(oldest -> sessions.remove(oldest.id()));
        }
        Session session = new Session(token(), account, credential, token(), now);
        sessions.put(session.id(), session);
        return session;
    }

    /** The live session of this cookie header, touched; empty when none, expired or unknown. */
    Optional<Session> find(String cookieHeader) {
        String id = cookie(cookieHeader, COOKIE);
        if (id == null) {
            return Optional.empty();
        }
        Session session = sessions.get(id);
        Instant now = clock.instant();
        if (session == null) {
            return Optional.empty();
        }
        if (session.lastSeen().plus(IDLE).isBefore(now)) {
            sessions.remove(id);
            return Optional.empty();
        }
        Session touched = new Session(session.id(), session.account(), session.credential(), session.csrf(), now);
        sessions.put(id, touched);
        return Optional.of(touched);
    }

    void close(String id) {
        sessions.remove(id);
    }

    /** 256 random bits, URL-safe. */
    String token() {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** Constant-time comparison of a posted token with the expected one; a missing token never matches. */
    static boolean sameToken(String posted, String expected) {
        if (posted == null || expected == null) {
            return false;
        }
        return MessageDigest.isEqual(posted.getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                expected.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }

    /** A cookie's value from a Cookie header (RFC 6265 §5.4: "name=value; name2=value2"). */
    static String cookie(String header, String name) {
        if (header == null) {
            return null;
        }
        for (String pair : header.split(";")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).strip().equals(name)) {
                return pair.substring(eq + 1).strip();
            }
        }
        return null;
    }
}
