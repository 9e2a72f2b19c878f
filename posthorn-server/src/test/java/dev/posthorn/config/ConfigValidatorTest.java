package dev.posthorn.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Combinations of keys that cannot work together are refused at start, naming the key. */
class ConfigValidatorTest {

    /**
     * Found by review (issue 10): a throttled AUTH waits throttle_delay_seconds before it answers, inside the
     * command timeout; a delay as long as the timeout made the session's deadline cut the client with 421.
     */
    @Test
    void aThrottleDelayNotShorterThanTheCommandTimeoutIsRefused() throws Exception {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(null, c -> {
            c.limits.commandTimeoutSeconds = 10;
            c.auth.throttleDelaySeconds = 10;
        }));
        assertThat(e).isNotNull();
        List<ConfigProblem> problems = e.problems();
        assertThat(problems).extracting(ConfigProblem::key).containsExactly("auth.throttle_delay_seconds");
        assertThat(problems.get(0).toString()).contains("must be less than limits.command_timeout_seconds (10)");
    }

    @Test
    void aShorterThrottleDelayIsAccepted() throws Exception {
        PosthornConfig c = ConfigLoader.load(null, config -> {
            config.limits.commandTimeoutSeconds = 10;
            config.auth.throttleDelaySeconds = 9;
        });
        assertThat(c.auth.throttleDelaySeconds).isEqualTo(9);
    }

    @Test
    void aLocalHoldOutsideZeroToTwentySecondsIsRefused() throws Exception {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(null, c ->
                c.delivery.localHoldSeconds = -1));
        assertThat(e).isNotNull();
        assertThat(e.problems()).extracting(ConfigProblem::key).containsExactly("delivery.local_hold_seconds");
        assertThat(catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(null, c ->
                c.delivery.localHoldSeconds = 21))).isNotNull();
        assertThat(ConfigLoader.load(null, c -> c.delivery.localHoldSeconds = 20).delivery.localHoldSeconds)
                .isEqualTo(20);
        assertThat(ConfigLoader.load(null, c -> c.delivery.localHoldSeconds = 0).delivery.localHoldSeconds).isZero();
    }

    @Test
    void aFreeSpaceMinimumThatWouldWrapInBytesIsRefused() throws Exception {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(null, c ->
                c.limits.minFreeDiskMb = 1L << 43));
        assertThat(e).isNotNull();
        assertThat(e.problems()).extracting(ConfigProblem::key).containsExactly("limits.min_free_disk_mb");
        assertThat(ConfigLoader.load(null, c -> c.limits.minFreeDiskMb = Long.MAX_VALUE >> 20).limits.minFreeDiskMb)
                .isEqualTo(Long.MAX_VALUE >> 20);
    }
}
