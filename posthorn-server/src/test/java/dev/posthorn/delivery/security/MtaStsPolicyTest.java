package dev.posthorn.delivery.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** RFC 8461 §3.2 policy syntax and §4.1 MX matching. */
class MtaStsPolicyTest {

    private static final Instant NOW = Instant.parse("2026-12-01T00:00:00Z");

    @Test
    void aPolicyIsParsedWithCrlfOrLfAndUnknownFieldsIgnored() throws Exception {
        MtaStsPolicy p = MtaStsPolicy.parse("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\nmx: *.example.net\n"
                + "max_age: 604800\nextension: ignored\n", "20261201", NOW);
        assertThat(p.mode()).isEqualTo(MtaStsPolicy.Mode.ENFORCE);
        assertThat(p.mx()).containsExactly("mail.example.com", "*.example.net");
        assertThat(p.expiresAt()).isEqualTo(NOW.plusSeconds(604800));
        assertThat(p.describe()).isEqualTo("MTA-STS id=20261201 mode=enforce");
    }

    @Test
    void aWildcardStandsForExactlyOneLeftmostLabel() throws Exception {
        MtaStsPolicy p = MtaStsPolicy.parse("version: STSv1\nmode: enforce\nmx: *.example.net\nmx: mail.example.com\n"
                + "max_age: 86400\n", "1", NOW);
        assertThat(p.allows("mx1.example.net")).isTrue();
        assertThat(p.allows("MX1.Example.NET.")).isTrue();
        assertThat(p.allows("a.b.example.net")).isFalse();
        assertThat(p.allows("example.net")).isFalse();
        assertThat(p.allows("mail.example.com")).isTrue();
        assertThat(p.allows("evil-mail.example.com")).isFalse();
        // The wildcard needs a label of its own, and the rest must be the pattern's domain exactly.
        assertThat(p.allows(".example.net")).isFalse();
        assertThat(p.allows("mx1.xexample.net")).isFalse();
        assertThat(p.allows("mx1.example.net.evil")).isFalse();
        assertThat(p.allows("mail.example.com.")).isTrue();
        assertThat(p.allows("x.mail.example.com")).as("only \"*.\" patterns are wildcards").isFalse();
        MtaStsPolicy dotted = MtaStsPolicy.parse("version: STSv1\nmode: enforce\nmx: mail.example.com.\nmx: *.example.org.\n"
                + "max_age: 86400\n", "1", NOW);
        assertThat(dotted.allows("mail.example.com")).isTrue();
        assertThat(dotted.allows("mx.example.org")).isTrue();
    }

    @Test
    void maxAgeIsCappedAtOneYearAndRefreshIsDueAtHalfLife() throws Exception {
        MtaStsPolicy p = MtaStsPolicy.parse("version: STSv1\nmode: testing\nmx: a.example\nmax_age: 99999999\n", "1", NOW);
        assertThat(p.maxAgeSeconds()).isEqualTo(31_557_600L);
        assertThat(p.refreshDue(NOW.plusSeconds(31_557_600L / 2 - 1))).isFalse();
        assertThat(p.refreshDue(NOW.plusSeconds(31_557_600L / 2))).isTrue();
        assertThat(p.expired(NOW.plusSeconds(31_557_600L))).isTrue();
    }

    @Test
    void invalidPoliciesAreRefusedWithTheReason() {
        assertThatThrownBy(() -> MtaStsPolicy.parse("version: STSv2\nmode: enforce\nmx: a\nmax_age: 1\n", "1", NOW))
                .hasMessageContaining("not STSv1");
        assertThatThrownBy(() -> MtaStsPolicy.parse("version: STSv1\nmode: strict\nmx: a\nmax_age: 1\n", "1", NOW))
                .hasMessageContaining("mode 'strict'");
        assertThatThrownBy(() -> MtaStsPolicy.parse("version: STSv1\nmode: enforce\nmax_age: 1\n", "1", NOW))
                .hasMessageContaining("no mx pattern");
        assertThatThrownBy(() -> MtaStsPolicy.parse("version: STSv1\nmode: enforce\nmx: a\n", "1", NOW))
                .hasMessageContaining("no max_age");
        assertThatThrownBy(() -> MtaStsPolicy.parse("<html>oops</html>", "1", NOW)).isInstanceOf(MtaStsPolicy.Invalid.class);
    }
}
