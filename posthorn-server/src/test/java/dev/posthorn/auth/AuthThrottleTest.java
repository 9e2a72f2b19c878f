package dev.posthorn.auth;

import static dev.posthorn.auth.AuthThrottle.Verdict.ALLOW;
import static dev.posthorn.auth.AuthThrottle.Verdict.DELAY;
import static dev.posthorn.auth.AuthThrottle.Verdict.DISCONNECT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.posthorn.testing.ManualClock;
import java.net.InetAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class AuthThrottleTest {

    private final ManualClock clock = new ManualClock();
    private final InetAddress ip1 = address("192.0.2.1");
    private final InetAddress ip2 = address("2001:db8::2");

    @Test
    void delaysAfterMaxFailuresPerIpAndDisconnectsLater() {
        AuthThrottle throttle = new AuthThrottle(config(3, 100, 5), clock);
        for (int i = 0; i < 2; i++) {
            throttle.recordFailure(ip1, "u" + i);
        }
        assertThat(throttle.check(ip1)).isEqualTo(ALLOW);
        throttle.recordFailure(ip1, "u2");
        assertThat(throttle.check(ip1)).isEqualTo(DELAY);
        assertThat(throttle.check(ip2)).isEqualTo(ALLOW);
        throttle.recordFailure(ip1, null);
        throttle.recordFailure(ip1, null);
        assertThat(throttle.check(ip1)).isEqualTo(DISCONNECT);
        assertThat(throttle.delay()).isEqualTo(Duration.ofSeconds(7));
    }

    @Test
    void failuresOutsideTheSlidingWindowNoLongerCount() {
        AuthThrottle throttle = new AuthThrottle(config(2, 100, 5), clock);
        throttle.recordFailure(ip1, "a");
        clock.advance(Duration.ofSeconds(400));
        throttle.recordFailure(ip1, "a");
        assertThat(throttle.check(ip1)).isEqualTo(DELAY);
        clock.advance(Duration.ofSeconds(201)); // first failure is now 601 s old
        assertThat(throttle.check(ip1)).isEqualTo(ALLOW);
        clock.advance(Duration.ofSeconds(400));
        assertThat(throttle.trackedKeys()).isZero();
    }

    @Test
    void aUserAttackedFromManyAddressesIsDelayedEverywhere() {
        AuthThrottle throttle = new AuthThrottle(config(100, 3, 200), clock);
        for (int i = 1; i <= 3; i++) {
            throttle.recordFailure(address("198.51.100." + i), "Alice@example.org");
        }
        assertThat(throttle.check(ip2)).isEqualTo(ALLOW);
        assertThat(throttle.check(ip2, "alice@example.org")).isEqualTo(DELAY);
        assertThat(throttle.check(ip2, "bob@example.org")).isEqualTo(ALLOW);
    }

    @Test
    void successClearsTheUserButNotTheAddress() {
        AuthThrottle throttle = new AuthThrottle(config(2, 2, 10), clock);
        throttle.recordFailure(ip1, "alice");
        throttle.recordFailure(ip1, "alice");
        throttle.recordSuccess(ip1, "alice");
        assertThat(throttle.check(ip2, "alice")).isEqualTo(ALLOW);
        assertThat(throttle.check(ip1)).isEqualTo(DELAY);
    }

    @Test
    void memoryStaysBounded() {
        AuthThrottle throttle = new AuthThrottle(config(5, 10, 10), clock, 100);
        for (int i = 0; i < 1000; i++) {
            throttle.recordFailure(address("10.0." + (i / 256) + "." + (i % 256)), "user" + i);
        }
        assertThat(throttle.trackedKeys()).isLessThanOrEqualTo(200);
    }

    @Test
    void configBindsFromSnakeCaseAndValidates() throws Exception {
        AuthConfig cfg = new ObjectMapper().readValue("""
                {"passwd_file": "/etc/dovecot/users", "sender_binding": false, "max_failures_per_ip": 4,
                 "max_failures_per_user": 9, "failure_window_seconds": 60, "throttle_delay_seconds": 2,
                 "disconnect_after_failures": 6}""", AuthConfig.class);
        assertThat(cfg.passwdFile).isEqualTo("/etc/dovecot/users");
        assertThat(cfg.senderBinding).isFalse();
        assertThat(cfg.maxFailuresPerIp).isEqualTo(4);
        assertThat(cfg.maxFailuresPerUser).isEqualTo(9);
        assertThat(cfg.failureWindowSeconds).isEqualTo(60);
        assertThat(cfg.throttleDelaySeconds).isEqualTo(2);
        assertThat(cfg.disconnectAfterFailures).isEqualTo(6);

        AuthConfig defaults = new AuthConfig();
        assertThat(defaults.passwdFile).isNull();
        assertThat(defaults.senderBinding).isTrue();
        defaults.disconnectAfterFailures = 2;
        assertThatThrownBy(defaults::validate).hasMessageContaining("auth.disconnect_after_failures");
    }

    private static AuthConfig config(int perIp, int perUser, int disconnect) {
        AuthConfig c = new AuthConfig();
        c.maxFailuresPerIp = perIp;
        c.maxFailuresPerUser = perUser;
        c.disconnectAfterFailures = disconnect;
        c.failureWindowSeconds = 600;
        c.throttleDelaySeconds = 7;
        return c;
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
