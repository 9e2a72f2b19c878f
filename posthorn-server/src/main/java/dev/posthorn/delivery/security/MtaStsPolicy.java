package dev.posthorn.delivery.security;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A domain's MTA-STS policy (RFC 8461 §3.2) as fetched: the TXT record's id it belongs to, the mode, the MX patterns
 * and how long it may be cached.
 */
public record MtaStsPolicy(String id, Mode mode, List<String> mx, long maxAgeSeconds, Instant fetchedAt) {

    /** RFC 8461 §3.3: max_age is at most 31557600 seconds (one year). */
    public static final long MAX_AGE_LIMIT = 31_557_600L;

    public enum Mode {
        ENFORCE, TESTING, NONE;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public MtaStsPolicy {
        mx = List.copyOf(mx);
    }

    /** A policy body that is not a valid STSv1 policy. */
    public static final class Invalid extends Exception {
        public Invalid(String message) {
            super(message);
        }
    }

    /** Parses the body of {@code /.well-known/mta-sts.txt} (RFC 8461 §3.2: "key: value" lines, CRLF or LF). */
    public static MtaStsPolicy parse(String body, String id, Instant fetchedAt) throws Invalid {
        String version = null;
        Mode mode = null;
        Long maxAge = null;
        List<String> mx = new ArrayList<>();
        for (String raw : body.split("\r?\n")) {
            String line = raw.strip();
            if (line.isEmpty()) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new Invalid("line '" + abbreviate(line) + "' is not 'key: value'");
            }
            String key = line.substring(0, colon).strip();
            String value = line.substring(colon + 1).strip();
            switch (key) {
                case "version" -> version = value;
                case "mode" -> {
                    try {
                        mode = Mode.valueOf(value.toUpperCase(Locale.ROOT));
                    } catch (IllegalArgumentException e) {
                        throw new Invalid("mode '" + abbreviate(value) + "' is not enforce, testing or none");
                    }
                }
                case "max_age" -> {
                    if (!value.matches("\\d{1,10}")) {
                        throw new Invalid("max_age '" + abbreviate(value) + "' is not a number of seconds");
                    }
                    maxAge = Math.min(Long.parseLong(value), MAX_AGE_LIMIT);
                }
                case "mx" -> mx.add(value.toLowerCase(Locale.ROOT));
                default -> {
                    // RFC 8461 §3.2: unknown fields are ignored (extensions).
                }
            }
        }
        if (!"STSv1".equals(version)) {
            throw new Invalid("version is '" + version + "', not STSv1");
        }
        if (mode == null) {
            throw new Invalid("no mode");
        }
        if (maxAge == null) {
            throw new Invalid("no max_age");
        }
        if (mx.isEmpty() && mode != Mode.NONE) {
            throw new Invalid("no mx pattern");
        }
        return new MtaStsPolicy(id, mode, mx, maxAge, fetchedAt);
    }

    public Instant expiresAt() {
        return fetchedAt.plusSeconds(maxAgeSeconds);
    }

    public boolean expired(Instant now) {
        return !now.isBefore(expiresAt());
    }

    /** Due for a refresh: past half its lifetime (RFC 8461 §5.1 asks senders to refresh before expiry). */
    public boolean refreshDue(Instant now) {
        return !now.isBefore(fetchedAt.plus(Duration.ofSeconds(maxAgeSeconds / 2)));
    }

    /**
     * RFC 8461 §4.1: an MX host is allowed when it equals a pattern or a "*." pattern's wildcard stands for exactly
     * its left-most label.
     */
    public boolean allows(String mxHost) {
        String host = mxHost.toLowerCase(Locale.ROOT);
        if (host.endsWith(".")) {
            host = host.substring(0, host.length() - 1);
        }
        for (String pattern : mx) {
            String p = pattern.endsWith(".") ? pattern.substring(0, pattern.length() - 1) : pattern;
            if (p.startsWith("*.")) {
                int dot = host.indexOf('.');
                if (dot > 0 && host.substring(dot + 1).equals(p.substring(2))) {
                    return true;
                }
            } else if (p.equals(host)) {
                return true;
            }
        }
        return false;
    }

    /** The policy as its lines, for the TLS report's "policy-string" (RFC 8460 §4.4). */
    public List<String> lines() {
        List<String> lines = new ArrayList<>();
        lines.add("version: STSv1");
        lines.add("mode: " + mode.label());
        for (String m : mx) {
            lines.add("mx: " + m);
        }
        lines.add("max_age: " + maxAgeSeconds);
        return lines;
    }

    /** "MTA-STS id=20240101 mode=enforce": which record decided, for logs and queue show. */
    public String describe() {
        return "MTA-STS id=" + id + " mode=" + mode.label();
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "…";
    }
}
