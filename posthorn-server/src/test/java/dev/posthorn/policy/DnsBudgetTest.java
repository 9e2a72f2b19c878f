package dev.posthorn.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.mailauth.dkim.DkimKeys;
import dev.posthorn.mailauth.dmarc.DmarcEvaluator;
import dev.posthorn.mailauth.dmarc.PublicSuffixList;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/**
 * The time the checks of one message may spend on DNS: each check has its own share, so a sender's slow
 * records time out its own SPF and never the policy lookup of the domain it claims; a resolver that answers
 * nothing costs one share, not the whole deadline per check.
 */
@Timeout(60)
class DnsBudgetTest {

    /** Answers TXT from a table (NXDOMAIN otherwise); names under {@code slow} take {@code delayMillis} each. */
    static final class TableResolver extends SimpleResolver {
        final Map<String, String> txt;
        final String slow;
        final long delayMillis;

        TableResolver(Map<String, String> txt, String slow, long delayMillis) throws Exception {
            super("127.0.0.1");
            this.txt = txt;
            this.slow = slow;
            this.delayMillis = delayMillis;
        }

        @Override
        public Message send(Message query) {
            Record q = query.getQuestion();
            String name = q.getName().toString(true).toLowerCase();
            if (name.endsWith(slow)) {
                try {
                    Thread.sleep(delayMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            Message r = new Message(query.getHeader().getID());
            r.getHeader().setFlag(Flags.QR);
            r.addRecord(q, Section.QUESTION);
            String value = q.getType() == Type.TXT ? txt.get(name) : null;
            if (value == null) {
                r.getHeader().setRcode(Rcode.NXDOMAIN);
            } else {
                r.addRecord(new TXTRecord(q.getName(), DClass.IN, 60, value), Section.ANSWER);
            }
            return r;
        }
    }

    record Outcome(String fields, long millis) {
    }

    static Outcome decide(Path dir, TableResolver resolver, int deadlineSeconds, String sender) throws Exception {
        MailAuthConfig config = new MailAuthConfig();
        config.deadlineSeconds = deadlineSeconds;
        MessageAuthentication auth = new MessageAuthentication(config, "mx.posthorn.test", DkimKeys.under(dir),
                resolver, new DmarcEvaluator(PublicSuffixList.parse(List.of("test")), RandomGenerator.of("L64X128MixRandom")),
                Clock.systemUTC(), Set.of(), List.of());
        MessageAuthentication.Inspection seen = auth.inspect(OutputStream.nullOutputStream(), false, false);
        seen.stream().write("From: ceo@bank.test\r\nSubject: pay\r\n\r\nPay now.\r\n".getBytes(StandardCharsets.US_ASCII));
        long t0 = System.nanoTime();
        AuthDecision d = auth.decide(seen, new AuthContext(true, null, "192.0.2.1", "helo.example", sender, false,
                "ID1", null));
        return new Outcome(d.prependFields(), (System.nanoTime() - t0) / 1_000_000);
    }

    @Test
    void aSlowSenderSpfRecordTimesOutItsOwnCheckNotTheClaimedDomainsPolicy(@TempDir Path dir) throws Exception {
        StringBuilder spf = new StringBuilder("v=spf1");
        Map<String, String> zone = new HashMap<>(Map.of("_dmarc.bank.test", "v=DMARC1; p=reject",
                "bank.test", "v=spf1 -all"));
        for (int i = 0; i < 9; i++) {
            spf.append(" include:x").append(i).append(".slow.test");
            zone.put("x" + i + ".slow.test", "v=spf1 -all");
        }
        zone.put("attacker.test", spf + " -all");
        Outcome o = decide(dir, new TableResolver(zone, "slow.test", 1000), 4, "x@attacker.test");
        assertThat(o.fields()).contains("spf=temperror").contains("dmarc=fail (p=reject)");
        assertThat(o.millis()).isLessThan(4_000 + 1_000); // the deadline, and at most one question's overrun
    }

    @Test
    void aResolverThatAnswersNothingCostsTheFirstShareOnly(@TempDir Path dir) throws Exception {
        Outcome o = decide(dir, new TableResolver(Map.of(), "", 30_000), 20, "a@sender.test");
        assertThat(o.fields()).contains("spf=temperror").contains("dmarc=temperror");
        // 15% of 20 s for the first (policy) questions, then every question fails at once.
        assertThat(o.millis()).isBetween(2_500L, 5_000L);
    }
}
