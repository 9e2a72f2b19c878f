package dev.posthorn.delivery.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.posthorn.delivery.security.DnsLookup;
import dev.posthorn.delivery.security.MtaSts;
import dev.posthorn.delivery.security.MtaStsPolicy;
import dev.posthorn.delivery.security.SecurityLevel;
import dev.posthorn.delivery.security.TlsRptResult;
import dev.posthorn.tls.TestPki;
import java.net.InetAddress;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.SimpleResolver;

/**
 * How an MTA-STS policy's mode and mx patterns decide the plan for one MX host (RFC 8461 §4.1, §5): enforce
 * refuses an unlisted host and insists on a valid certificate; testing delivers anyway and only records.
 */
class TransportSecurityPlanTest {

    private static final String DOMAIN = "sts.test";

    private static TransportSecurity security() throws Exception {
        return new TransportSecurity(DnsLookup.plain(new SimpleResolver("127.0.0.1")), false, null,
                SecureDelivery.webPki(null), null);
    }

    private static HostPlan plan(String mode, String mxHost) throws Exception {
        MtaStsPolicy p = MtaStsPolicy.parse("version: STSv1\nmode: " + mode + "\nmx: *.sts.test\nmax_age: 86400\n",
                "7", Instant.now());
        MxResult.MxHost host = new MxResult.MxHost(mxHost, 10, List.of(InetAddress.getLoopbackAddress()), false);
        return security().plan(DOMAIN, new MxResult.Hosts(List.of(host)), host, new MtaSts.Lookup(p, null, null));
    }

    private static X509Certificate selfSigned(String name) throws Exception {
        return TestPki.issue(TestPki.ec(), null, false, name).cert();
    }

    @Test
    void enforceRefusesAnUnlistedMxHostAndTestingDeliversToIt() throws Exception {
        HostPlan enforce = plan("enforce", "mx.elsewhere.test");
        assertThat(enforce.mode()).isEqualTo(HostPlan.Mode.REFUSE);
        assertThat(enforce.refusal()).isNotNull();
        assertThat(enforce.security().failure()).isEqualTo(TlsRptResult.VALIDATION_FAILURE);

        HostPlan testing = plan("testing", "mx.elsewhere.test");
        assertThat(testing.mode()).isEqualTo(HostPlan.Mode.TESTING);
        assertThat(testing.refusal()).isNull();
        assertThat(testing.security().failure()).isEqualTo(TlsRptResult.VALIDATION_FAILURE);
        assertThat(testing.security().detail()).contains("mx.elsewhere.test", "*.sts.test");
    }

    @Test
    void enforceDemandsAValidCertificateAndTestingOnlyRecordsItsFailure() throws Exception {
        X509Certificate[] untrusted = {selfSigned("mx1.sts.test")};

        HostPlan enforce = plan("enforce", "mx1.sts.test");
        assertThat(enforce.mode()).isEqualTo(HostPlan.Mode.AUTHENTICATED);
        assertThat(enforce.security().level()).isEqualTo(SecurityLevel.MTA_STS);
        assertThat(enforce.security().decidedBy()).isEqualTo("MTA-STS id=7 mode=enforce");
        assertThatThrownBy(() -> enforce.trust().checkServerTrusted(untrusted, "ECDHE_ECDSA"))
                .isInstanceOf(CertificateException.class);
        assertThat(enforce.trust().failure()).isNotNull();

        HostPlan testing = plan("testing", "mx1.sts.test");
        assertThat(testing.mode()).isEqualTo(HostPlan.Mode.TESTING);
        assertThat(testing.security().decidedBy()).isEqualTo("MTA-STS id=7 mode=testing");
        testing.trust().checkServerTrusted(untrusted, "ECDHE_ECDSA"); // does not throw
        assertThat(testing.trust().failure()).as("recorded for the report").isNotNull();
    }

    @Test
    void noPolicyIsTheRoutesOwnTls() throws Exception {
        MxResult.MxHost host = new MxResult.MxHost("mx1.sts.test", 10, List.of(InetAddress.getLoopbackAddress()), false);
        HostPlan none = security().plan(DOMAIN, new MxResult.Hosts(List.of(host)), host, new MtaSts.Lookup(null, null, null));
        assertThat(none.mode()).isEqualTo(HostPlan.Mode.ROUTE);
        assertThat(none.security().level()).isEqualTo(SecurityLevel.OPPORTUNISTIC);
        assertThat(none.security().decidedBy()).isEqualTo("no DANE or MTA-STS policy");
    }
}
