package dev.posthorn.delivery.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.posthorn.tls.TestPki;
import dev.posthorn.tls.TestPki.Issued;
import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The certificate checks of DANE (RFC 7672 §3.1, RFC 7671 §5, RFC 6698 §2.1) on certificates made here: DANE-EE
 * ignores names and chains, DANE-TA demands a chain to the anchor and a reference name, and each selector and
 * matching type compares what RFC 6698 says it does.
 */
class DaneTrustManagerTest {

    private static final String MX = "mx.dane.test";
    private static Issued ca;
    private static Issued otherCa;
    private static Issued leaf;          // MX, signed by ca
    private static Issued wrongName;     // other.test, signed by ca
    private static Issued strayLeaf;     // MX, signed by otherCa

    @BeforeAll
    static void certificates() throws Exception {
        ca = TestPki.issue(TestPki.ec(), null, true, "ca.dane.test");
        otherCa = TestPki.issue(TestPki.ec(), null, true, "other-ca.dane.test");
        leaf = TestPki.issue(TestPki.ec(), ca, false, MX);
        wrongName = TestPki.issue(TestPki.ec(), ca, false, "other.test");
        strayLeaf = TestPki.issue(TestPki.ec(), otherCa, false, MX);
    }

    private static byte[] sha(String algorithm, byte[] data) throws Exception {
        return MessageDigest.getInstance(algorithm).digest(data);
    }

    private static Tlsa tlsa(int usage, int selector, int matching, byte[] data) {
        return new Tlsa("_25._tcp." + MX, usage, selector, matching, data);
    }

    private static Tlsa spki(int usage, X509Certificate cert) throws Exception {
        return tlsa(usage, 1, 1, sha("SHA-256", cert.getPublicKey().getEncoded()));
    }

    /** The verdict: null when accepted, else the TLS-RPT result type of the refusal. */
    private static TlsRptResult verdict(List<Tlsa> records, X509Certificate... chain) {
        DaneTrustManager tm = new DaneTrustManager(records, List.of(MX));
        try {
            tm.checkServerTrusted(chain, "ECDHE_ECDSA");
            assertThat(tm.failure()).isNull();
            return null;
        } catch (CertificateException e) {
            assertThat(tm.failure()).as("a refusal is recorded for the report").isNotNull();
            return tm.failure();
        }
    }

    @Test
    void daneEeMatchesTheLeafWhateverItsNameOrIssuer() throws Exception {
        // RFC 7672 §3.1.1: names, issuer and chain are not checked with DANE-EE.
        assertThat(verdict(List.of(spki(Tlsa.DANE_EE, wrongName.cert())), wrongName.cert())).isNull();
        assertThat(verdict(List.of(spki(Tlsa.DANE_EE, strayLeaf.cert())), strayLeaf.cert())).isNull();
        // An EE record of the CA's key does not vouch for a leaf it signed.
        assertThat(verdict(List.of(spki(Tlsa.DANE_EE, ca.cert())), leaf.cert(), ca.cert()))
                .isEqualTo(TlsRptResult.TLSA_INVALID);
    }

    @Test
    void daneTaOfTheLeafKeyStillChecksTheName() throws Exception {
        // The same data as a DANE-EE record that passes above, but as DANE-TA the leaf must carry the MX name.
        assertThat(verdict(List.of(spki(Tlsa.DANE_TA, wrongName.cert())), wrongName.cert()))
                .isEqualTo(TlsRptResult.CERTIFICATE_HOST_MISMATCH);
        assertThat(verdict(List.of(spki(Tlsa.DANE_TA, leaf.cert())), leaf.cert())).isNull();
    }

    @Test
    void daneTaNeedsAChainToTheAnchorAndAReferenceName() throws Exception {
        Tlsa anchor = tlsa(Tlsa.DANE_TA, 0, 1, sha("SHA-256", ca.cert().getEncoded()));
        assertThat(verdict(List.of(anchor), leaf.cert(), ca.cert())).isNull();
        assertThat(verdict(List.of(anchor), wrongName.cert(), ca.cert()))
                .isEqualTo(TlsRptResult.CERTIFICATE_HOST_MISMATCH);
        // The anchor is in the chain the server sent, but it did not sign the leaf.
        assertThat(verdict(List.of(anchor), strayLeaf.cert(), ca.cert())).isEqualTo(TlsRptResult.VALIDATION_FAILURE);
        // A DANE-EE record of the CA never makes it an anchor.
        assertThat(verdict(List.of(tlsa(Tlsa.DANE_EE, 0, 1, sha("SHA-256", ca.cert().getEncoded()))),
                leaf.cert(), ca.cert())).isEqualTo(TlsRptResult.TLSA_INVALID);
    }

    @Test
    void eachSelectorAndMatchingTypeComparesWhatRfc6698Says() throws Exception {
        X509Certificate c = leaf.cert();
        byte[] der = c.getEncoded();
        byte[] key = c.getPublicKey().getEncoded();
        assertThat(tlsa(3, 0, 0, der).matches(c)).isTrue();
        assertThat(tlsa(3, 1, 0, key).matches(c)).isTrue();
        assertThat(tlsa(3, 0, 1, sha("SHA-256", der)).matches(c)).isTrue();
        assertThat(tlsa(3, 1, 1, sha("SHA-256", key)).matches(c)).isTrue();
        assertThat(tlsa(3, 0, 2, sha("SHA-512", der)).matches(c)).isTrue();
        assertThat(tlsa(3, 1, 2, sha("SHA-512", key)).matches(c)).isTrue();
        // Swapped selector or matching type, or one byte changed: no match.
        assertThat(tlsa(3, 0, 1, sha("SHA-256", key)).matches(c)).isFalse();
        assertThat(tlsa(3, 1, 1, sha("SHA-256", der)).matches(c)).isFalse();
        assertThat(tlsa(3, 1, 2, sha("SHA-256", key)).matches(c)).isFalse();
        byte[] changed = sha("SHA-256", key);
        changed[31] ^= 1;
        assertThat(tlsa(3, 1, 1, changed).matches(c)).isFalse();
        assertThat(tlsa(3, 1, 255, sha("SHA-256", key)).matches(c)).isFalse();
    }

    @Test
    void onlyDaneUsagesAndWellFormedDataAreUsable() {
        byte[] s256 = new byte[32];
        byte[] s512 = new byte[64];
        assertThat(tlsa(3, 1, 1, s256).usable()).isTrue();
        assertThat(tlsa(2, 0, 2, s512).usable()).isTrue();
        assertThat(tlsa(3, 0, 0, new byte[1]).usable()).isTrue();
        assertThat(tlsa(0, 1, 1, s256).usable()).as("PKIX-TA").isFalse();
        assertThat(tlsa(1, 1, 1, s256).usable()).as("PKIX-EE").isFalse();
        assertThat(tlsa(3, 2, 1, s256).usable()).as("selector 2").isFalse();
        assertThat(tlsa(3, 1, 1, Arrays.copyOf(s256, 31)).usable()).as("short SHA-256").isFalse();
        assertThat(tlsa(3, 1, 2, s256).usable()).as("SHA-512 of SHA-256's length").isFalse();
        assertThat(tlsa(3, 1, 0, new byte[0]).usable()).as("empty").isFalse();
        assertThat(tlsa(3, 1, 3, s256).usable()).as("matching type 3").isFalse();
    }

    @Test
    void aRefusalNamesTheRecordsThatDidNotMatch() throws Exception {
        DaneTrustManager tm = new DaneTrustManager(List.of(spki(Tlsa.DANE_EE, ca.cert())), List.of(MX));
        assertThatThrownBy(() -> tm.checkServerTrusted(new X509Certificate[] {leaf.cert()}, "ECDHE_ECDSA"))
                .isInstanceOf(CertificateException.class);
        assertThat(tm.detail()).startsWith("the certificate of " + MX + " matches none of its TLSA records (3 1 1 ");
    }
}
