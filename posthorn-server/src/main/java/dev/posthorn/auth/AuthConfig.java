package dev.posthorn.auth;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * The {@code [auth]} section of the configuration. Field names bind as snake_case
 * ({@code passwd_file}, {@code max_failures_per_ip}, ...). Every setting has a safe default.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public final class AuthConfig {

    /** Optional Dovecot-style passwd file, consulted after the user store. */
    public String passwdFile = null;
    /** An authenticated user may use as envelope sender only its own addresses and aliases (RFC 6409 §6.1). */
    public boolean senderBinding = true;
    /** Failures from one IP within the window before further AUTH is answered with 454 after a delay. */
    public int maxFailuresPerIp = 5;
    /** Failures for one user within the window before that user is refused (454) from anywhere. */
    public int maxFailuresPerUser = 10;
    /** Length of the sliding window in which failures count. */
    public long failureWindowSeconds = 600;
    /** How long the session waits before answering a throttled AUTH. */
    public long throttleDelaySeconds = 5;
    /**
     * Failures from one IP within the window at which the connection is closed with 421 4.7.0.
     * RFC 4954 §9: not fewer than 3.
     */
    public int disconnectAfterFailures = 10;

    /** Throws IllegalArgumentException naming the key and the fix. */
    public void validate() {
        require(maxFailuresPerIp >= 1, "auth.max_failures_per_ip must be at least 1");
        require(maxFailuresPerUser >= 1, "auth.max_failures_per_user must be at least 1");
        require(failureWindowSeconds >= 1, "auth.failure_window_seconds must be at least 1");
        require(throttleDelaySeconds >= 0, "auth.throttle_delay_seconds must not be negative");
        require(disconnectAfterFailures >= 3,
                "auth.disconnect_after_failures must be at least 3 (RFC 4954 §9: do not drop before 3 failures)");
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
