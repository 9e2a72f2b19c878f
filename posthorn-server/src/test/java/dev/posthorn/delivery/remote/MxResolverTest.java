package dev.posthorn.delivery.remote;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.delivery.DnsConfig;
import dev.posthorn.delivery.fixtures.UnboundServer;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** MX lookups against a real DNS server (unbound) on loopback, RFC 5321 §5.1 and RFC 7505. */
@Timeout(60)
class MxResolverTest {

    @TempDir
    static Path dir;
    static UnboundServer dns;

    @BeforeAll
    static void startDns() throws Exception {
        dns = UnboundServer.start(dir, List.of("test."), List.of(
                "ordered.test. MX 20 backup.ordered.test.",
                "ordered.test. MX 10 primary.ordered.test.",
                "primary.ordered.test. A 127.0.0.10",
                "primary.ordered.test. AAAA ::1",
                "backup.ordered.test. A 127.0.0.20",
                "equal.test. MX 10 one.equal.test.",
                "equal.test. MX 10 two.equal.test.",
                "one.equal.test. A 127.0.0.1",
                "two.equal.test. A 127.0.0.2",
                "implicit.test. A 127.0.0.30",
                "implicit.test. AAAA ::1",
                "nullmx.test. MX 0 .",
                "dangling.test. MX 10 nowhere.dangling.test.",
                "texts.test. TXT \\\"no mail here\\\""));
    }

    @AfterAll
    static void stopDns() {
        if (dns != null) {
            dns.close();
        }
    }

    private static MxResolver resolver() {
        DnsConfig config = new DnsConfig();
        config.servers = List.of(dns.address());
        config.timeoutSeconds = 2;
        return MxResolver.from(config);
    }

    @Test
    void mxHostsComeByPreferenceWithIpv6First() throws Exception {
        MxResult result = resolver().resolve("ordered.test");
        assertThat(result).isInstanceOf(MxResult.Hosts.class);
        List<MxResult.MxHost> hosts = ((MxResult.Hosts) result).hosts();
        assertThat(hosts).extracting(MxResult.MxHost::name).containsExactly("primary.ordered.test", "backup.ordered.test");
        assertThat(hosts.get(0).addresses()).containsExactly(InetAddress.getByName("::1"), InetAddress.getByName("127.0.0.10"));
        assertThat(hosts.get(0).implicit()).isFalse();
    }

    @Test
    void equalPreferencesAreTriedInRandomOrder() {
        Set<String> firsts = new HashSet<>();
        for (long seed = 0; seed < 40 && firsts.size() < 2; seed++) {
            MxResolver r = new MxResolver(MxResolver.resolverFor(config()), RandomGenerator.of("L64X128MixRandom"));
            MxResult.Hosts hosts = (MxResult.Hosts) r.resolve("equal.test");
            assertThat(hosts.hosts()).hasSize(2);
            firsts.add(hosts.hosts().get(0).name());
        }
        assertThat(firsts).containsExactlyInAnyOrder("one.equal.test", "two.equal.test");
    }

    @Test
    void aDomainWithoutMxUsesItsOwnAddresses() throws Exception {
        MxResult.Hosts hosts = (MxResult.Hosts) resolver().resolve("implicit.test");
        assertThat(hosts.hosts()).singleElement().satisfies(h -> {
            assertThat(h.name()).isEqualTo("implicit.test");
            assertThat(h.implicit()).isTrue();
            assertThat(h.addresses()).containsExactly(InetAddress.getByName("::1"), InetAddress.getByName("127.0.0.30"));
        });
    }

    @Test
    void nullMxMeansTheDomainTakesNoMail() {
        assertThat(resolver().resolve("nullmx.test")).isEqualTo(new MxResult.NullMx());
    }

    @Test
    void aMissingDomainIsPermanent() {
        assertThat(resolver().resolve("absent.test")).isInstanceOf(MxResult.NoSuchDomain.class);
    }

    @Test
    void aDomainWithNeitherMxNorAddressIsPermanent() {
        assertThat(resolver().resolve("texts.test")).isInstanceOf(MxResult.NoSuchDomain.class);
    }

    @Test
    void mxWhoseHostHasNoAddressIsPermanent() {
        assertThat(resolver().resolve("dangling.test")).isInstanceOf(MxResult.NoSuchDomain.class);
    }

    @Test
    void anUnansweringServerIsTemporary() throws Exception {
        DnsConfig config = new DnsConfig();
        // A port where nothing listens: every query times out or is refused.
        config.servers = List.of("127.0.0.1:" + dev.posthorn.delivery.fixtures.Ports.free());
        config.timeoutSeconds = 1;
        config.retries = 1;
        assertThat(MxResolver.from(config).resolve("ordered.test")).isInstanceOf(MxResult.TemporaryFailure.class);
    }

    private static DnsConfig config() {
        DnsConfig config = new DnsConfig();
        config.servers = List.of(dns.address());
        return config;
    }
}
