package dev.posthorn.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RetryScheduleTest {

    private static final Instant T0 = Instant.parse("2026-11-28T00:00:00Z");

    @Test
    void defaultsGrowFromFiveMinutesToHourlyAndGiveUpAfterFiveDays() {
        RetrySchedule s = RetrySchedule.defaults();
        assertThat(s.delayAfter(1)).isEqualTo(Duration.ofMinutes(5));
        assertThat(s.delayAfter(2)).isEqualTo(Duration.ofMinutes(10));
        assertThat(s.delayAfter(4)).isEqualTo(Duration.ofMinutes(40));
        assertThat(s.delayAfter(5)).isEqualTo(Duration.ofHours(1));
        assertThat(s.delayAfter(50)).isEqualTo(Duration.ofHours(1));
        assertThat(s.giveUpAt(T0)).isEqualTo(T0.plus(Duration.ofDays(5)));
    }

    @Test
    void noRetryIsScheduledPastTheGiveUpTime() {
        RetrySchedule s = RetrySchedule.defaults();
        Instant late = T0.plus(Duration.ofDays(5)).minus(Duration.ofMinutes(30));
        assertThat(s.nextAttempt(T0, 10, late)).isNull();
        assertThat(s.nextAttempt(T0, 1, T0)).isEqualTo(T0.plus(Duration.ofMinutes(5)));
    }

    @Test
    void delayNoticeIsDueAfterFourHours() {
        RetrySchedule s = RetrySchedule.defaults();
        assertThat(s.delayNoticeDue(T0, T0.plus(Duration.ofHours(3)))).isFalse();
        assertThat(s.delayNoticeDue(T0, T0.plus(Duration.ofHours(4)))).isTrue();
    }

    @Test
    void everyValueIsConfigurable() {
        QueueConfig c = new QueueConfig();
        c.retryIntervalsSeconds = java.util.List.of(1L, 2L);
        c.giveUpAfterSeconds = 10;
        c.delayNoticeAfterSeconds = 0;
        RetrySchedule s = RetrySchedule.from(c);
        assertThat(s.delayAfter(3)).isEqualTo(Duration.ofSeconds(2));
        assertThat(s.delayNoticeDue(T0, T0.plusSeconds(100))).isFalse();
    }
}
