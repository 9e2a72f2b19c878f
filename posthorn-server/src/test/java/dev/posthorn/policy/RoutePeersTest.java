package dev.posthorn.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.mailauth.dkim.DkimKeys;
import dev.posthorn.mailauth.dmarc.DmarcEvaluator;
import dev.posthorn.mailauth.dmarc.PublicSuffixList;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code [routes]} peer relays mail it did not write: its address says nothing of the sender's domain, so SPF
 * is not judged for it, but the author's DMARC policy is, as for anyone else (a peer must not be a way round it).
 */
class RoutePeersTest {

    static final String PEER = "192.0.2.7";

    static AuthDecision decide(Path dir, String clientIp) throws Exception {
        MailAuthConfig config = new MailAuthConfig();
        config.dmarcEnforce = true;
        MessageAuthentication auth = new MessageAuthentication(config, "mx.posthorn.test", DkimKeys.under(dir),
                new DnsBudgetTest.TableResolver(Map.of("_dmarc.bank.test", "v=DMARC1; p=reject",
                        "sender.test", "v=spf1 ip4:" + PEER + " -all"), "none", 0),
                new DmarcEvaluator(PublicSuffixList.parse(List.of("test")), RandomGenerator.of("L64X128MixRandom")),
                Clock.systemUTC(), Set.of(PEER), List.of());
        MessageAuthentication.Inspection seen = auth.inspect(OutputStream.nullOutputStream(), false, false);
        seen.stream().write("From: ceo@bank.test\r\nSubject: pay\r\n\r\nPay now.\r\n".getBytes(StandardCharsets.US_ASCII));
        return auth.decide(seen, new AuthContext(true, null, clientIp, "peer.test", "x@sender.test", false, "ID1",
                null));
    }

    @Test
    void aRoutePeerIsNotJudgedBySpfButItsMailIsByDmarc(@TempDir Path dir) throws Exception {
        AuthDecision viaPeer = decide(dir, PEER);
        assertThat(viaPeer.refusal()).isNotNull();
        assertThat(viaPeer.refusal().code()).isEqualTo(550);
        assertThat(viaPeer.refusal().enhanced()).isEqualTo("5.7.1");
        assertThat(String.join(" ", viaPeer.refusal().lines()))
                .startsWith("Message rejected: the DMARC policy of bank.test says reject, and SPF not checked");
        // The same message from anyone else is refused too, after an SPF check.
        AuthDecision direct = decide(dir, "198.51.100.9");
        assertThat(String.join(" ", direct.refusal().lines()))
                .startsWith("Message rejected: the DMARC policy of bank.test says reject, and SPF fail for sender.test");
    }
}
