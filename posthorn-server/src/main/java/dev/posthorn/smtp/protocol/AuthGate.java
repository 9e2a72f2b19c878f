package dev.posthorn.smtp.protocol;

import java.time.Duration;

/** Brute-force control for AUTH, per client address and per user (the session's view of the throttle). */
public interface AuthGate {

    enum Verdict { ALLOW, DELAY, DISCONNECT }

    Verdict check();

    /** After a successful exchange: is this user locked out by failures from elsewhere? */
    Verdict checkUser(String user);

    /** How long to wait before answering a throttled AUTH with 454. */
    Duration delay();

    void failed(String user);

    void succeeded(String user);

    /** An AuthGate that never throttles. */
    AuthGate OPEN = new AuthGate() {
        @Override
        public Verdict check() {
            return Verdict.ALLOW;
        }

        @Override
        public Verdict checkUser(String user) {
            return Verdict.ALLOW;
        }

        @Override
        public Duration delay() {
            return Duration.ZERO;
        }

        @Override
        public void failed(String user) {
        }

        @Override
        public void succeeded(String user) {
        }
    };
}
