package dev.posthorn.server;

import dev.posthorn.auth.AuthThrottle;
import dev.posthorn.smtp.protocol.AuthGate;
import java.net.InetAddress;
import java.time.Duration;

/** One session's view of the server-wide AUTH throttle: failures count per client address and per user. */
final class ThrottleGate implements AuthGate {

    private final AuthThrottle throttle;
    private final InetAddress client;

    ThrottleGate(AuthThrottle throttle, InetAddress client) {
        this.throttle = throttle;
        this.client = client;
    }

    /**
     * A throttled attempt (454) counts as a failure too: otherwise a client that keeps trying past the limit
     * would be answered 454 forever and never reach the disconnect (421) that ends the attack.
     */
    @Override
    public Verdict check() {
        Verdict verdict = map(throttle.check(client));
        if (verdict == Verdict.DELAY) {
            throttle.recordFailure(client, null);
        }
        return verdict;
    }

    @Override
    public Verdict checkUser(String user) {
        return map(throttle.check(client, user));
    }

    @Override
    public Duration delay() {
        return throttle.delay();
    }

    @Override
    public void failed(String user) {
        throttle.recordFailure(client, user);
    }

    @Override
    public void succeeded(String user) {
        throttle.recordSuccess(client, user);
    }

    private static Verdict map(AuthThrottle.Verdict verdict) {
        return switch (verdict) {
            case ALLOW -> Verdict.ALLOW;
            case DELAY -> Verdict.DELAY;
            case DISCONNECT -> Verdict.DISCONNECT;
        };
    }
}
