package dev.posthorn.delivery.security;

import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Authenticates an MX host by its TLSA records (RFC 7672 §3, RFC 7671). DANE-EE(3): the leaf certificate or its
 * key matches; names and dates are ignored (§3.1.1). DANE-TA(2): some certificate of the chain the server sent
 * matches, the chain below it validates up to that trust anchor (dates included), and the leaf is valid for one
 * of the reference names: the MX host name or its CNAME-expanded name (§3.2.2). Always enforced.
 */
public final class DaneTrustManager extends CheckingTrustManager {

    private final List<Tlsa> records;
    private final List<String> referenceNames;

    /** @param records usable TLSA records ({@link Tlsa#usable()}), at least one */
    public DaneTrustManager(List<Tlsa> records, List<String> referenceNames) {
        super(true);
        this.records = List.copyOf(records);
        this.referenceNames = List.copyOf(referenceNames);
    }

    @Override
    protected void check(X509Certificate[] chain, String authType) throws Refusal {
        X509Certificate leaf = chain[0];
        for (Tlsa t : records) {
            if (t.usage() == Tlsa.DANE_EE && t.matches(leaf)) {
                return;
            }
        }
        Refusal last = null;
        for (Tlsa t : records) {
            if (t.usage() != Tlsa.DANE_TA) {
                continue;
            }
            for (int i = 0; i < chain.length; i++) {
                if (t.matches(chain[i])) {
                    try {
                        checkBelowAnchor(chain, i);
                        return;
                    } catch (Refusal r) {
                        last = r;
                    }
                }
            }
        }
        if (last != null) {
            throw last;
        }
        throw new Refusal(TlsRptResult.TLSA_INVALID, "the certificate of " + referenceNames.get(0)
                + " matches none of its TLSA records (" + String.join(", ", records.stream().map(Tlsa::shortText).toList())
                + ")");
    }

    /** The chain below the trust anchor at {@code anchor} must validate to it, and the leaf carry a reference name. */
    private void checkBelowAnchor(X509Certificate[] chain, int anchor) throws Refusal {
        if (anchor > 0) {
            try {
                CertificateFactory cf = CertificateFactory.getInstance("X.509");
                PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(chain[anchor], null)));
                params.setRevocationEnabled(false);
                CertPathValidator.getInstance("PKIX").validate(
                        cf.generateCertPath(Arrays.asList(chain).subList(0, anchor)), params);
            } catch (GeneralSecurityException e) {
                throw new Refusal(expired(e) ? TlsRptResult.CERTIFICATE_EXPIRED : TlsRptResult.VALIDATION_FAILURE,
                        "the certificate chain of " + referenceNames.get(0) + " does not validate to its DANE-TA "
                                + "trust anchor: " + e.getMessage());
            }
        } else {
            try {
                chain[0].checkValidity();
            } catch (GeneralSecurityException e) {
                throw new Refusal(TlsRptResult.CERTIFICATE_EXPIRED, "the certificate of " + referenceNames.get(0)
                        + " is outside its validity period");
            }
        }
        List<String> names = HostnameMatch.names(chain[0]);
        for (String reference : referenceNames) {
            if (HostnameMatch.matches(names, reference)) {
                return;
            }
        }
        throw new Refusal(TlsRptResult.CERTIFICATE_HOST_MISMATCH, "the certificate names " + names
                + ", not " + String.join(" or ", referenceNames) + " (RFC 7672 §3.2.2)");
    }
}
