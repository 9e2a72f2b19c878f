package dev.posthorn.web.http;

import java.util.Optional;
import java.util.concurrent.Semaphore;

/**
 * At most {@code permits} requests of one costly kind at once (reading a pasted bounce): one more is answered
 * at once with 503 and Retry-After (RFC 9110 §15.6.4, §10.2.3) instead of waiting for a thread, so a burst of
 * pastes cannot take every web thread, and cheap pages stay quick.
 */
public final class ConcurrencyLimit {

    /** A held place; closing it gives the place back. */
    public interface Permit extends AutoCloseable {
        @Override
        void close();
    }

    private final Semaphore places;
    private final int retryAfterSeconds;

    public ConcurrencyLimit(int permits, int retryAfterSeconds) {
        if (permits < 1 || retryAfterSeconds < 1) {
            throw new IllegalArgumentException("permits and retryAfterSeconds must be at least 1");
        }
        this.places = new Semaphore(permits);
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** A place if one is free now; never waits. */
    public Optional<Permit> tryEnter() {
        return places.tryAcquire() ? Optional.of(places::release) : Optional.empty();
    }

    /** The endpoint, run only while a place is held; without one, the fallbacks' 503. */
    public Endpoint guard(Endpoint endpoint, Fallbacks fallbacks) {
        return request -> {
            Optional<Permit> permit = tryEnter();
            if (permit.isEmpty()) {
                return fallbacks.busy(request, retryAfterSeconds)
                        .withHeader("Retry-After", String.valueOf(retryAfterSeconds));
            }
            try (Permit held = permit.get()) {
                return endpoint.handle(request);
            }
        };
    }
}
