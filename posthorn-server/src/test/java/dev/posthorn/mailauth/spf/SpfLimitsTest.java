package dev.posthorn.mailauth.spf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.mailauth.AuthDns;
import dev.posthorn.mailauth.DnsAnswer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * RFC 7208 §4.6.4: what one SPF record may make the receiver ask. A sender's record must not turn the check
 * into a DNS amplifier (an mx with hundreds of names, names that do not exist) nor spend the message's time.
 */
class SpfLimitsTest {

    /** TXT from {@code txt}; MX of m&lt;n&gt;.test is n names h0..; every h* has 192.0.2.99; all else NXDOMAIN. */
    static final class Zone implements AuthDns {
        final Map<String, String> txt;
        final List<String> asked = new ArrayList<>();

        Zone(Map<String, String> txt) {
            this.txt = txt;
        }

        @Override
        public DnsAnswer query(String name, int type) {
            asked.add(type + " " + name);
            if (type == TXT && txt.containsKey(name)) {
                return new DnsAnswer.Records(List.of(txt.get(name)));
            }
            if (type == MX && name.matches("m\\d+\\.test")) {
                List<String> names = new ArrayList<>();
                for (int i = 0; i < Integer.parseInt(name.substring(1, name.indexOf('.'))); i++) {
                    names.add("h" + i + "." + name);
                }
                return new DnsAnswer.Records(names);
            }
            if (type == A && name.startsWith("h")) {
                return new DnsAnswer.Records(List.of("192.0.2.99"));
            }
            return new DnsAnswer.NoRecords(true);
        }
    }

    static SpfResult check(Zone zone, String ip) {
        return SpfChecker.mailFrom(zone, ip, "a@s.test", "helo.test");
    }

    @Test
    void moreThanTwoVoidLookupsArePermerror() {
        Zone two = new Zone(Map.of("s.test", "v=spf1 a:v1.test a:v2.test -all"));
        assertThat(check(two, "192.0.2.1").verdict()).isEqualTo(SpfResult.Verdict.FAIL);
        Zone three = new Zone(Map.of("s.test", "v=spf1 a:v1.test a:v2.test a:v3.test a:v4.test ip4:192.0.2.1 -all"));
        SpfResult r = check(three, "192.0.2.1");
        assertThat(r.verdict()).isEqualTo(SpfResult.Verdict.PERMERROR);
        assertThat(r.explanation()).isEqualTo("more than 2 void DNS lookups");
        assertThat(three.asked).hasSize(4); // the record, then three void lookups; v4 is never asked
    }

    @Test
    void anMxOfMoreThanTenNamesIsPermerrorBeforeAnyAddressIsAsked() {
        Zone ten = new Zone(Map.of("s.test", "v=spf1 mx:m10.test -all"));
        assertThat(check(ten, "192.0.2.99").verdict()).isEqualTo(SpfResult.Verdict.PASS);
        Zone many = new Zone(Map.of("s.test", "v=spf1 mx:m200.test -all"));
        SpfResult r = check(many, "192.0.2.99");
        assertThat(r.verdict()).isEqualTo(SpfResult.Verdict.PERMERROR);
        assertThat(r.explanation()).isEqualTo("more than 10 MX names for m200.test");
        assertThat(many.asked).containsExactly("16 s.test", "15 m200.test");
    }

    @Test
    void tenMxMechanismsOfTenNamesStayWithinTheBound() {
        StringBuilder spf = new StringBuilder("v=spf1");
        for (int i = 0; i < 10; i++) {
            spf.append(" mx:m10.test");
        }
        Zone zone = new Zone(Map.of("s.test", spf + " -all"));
        assertThat(check(zone, "198.51.100.1").verdict()).isEqualTo(SpfResult.Verdict.FAIL);
        assertThat(zone.asked.size()).isLessThanOrEqualTo(SpfLimits.MAX_QUESTIONS);
    }
}
