package dev.posthorn.delivery.security;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.X509TrustManager;

/**
 * The check MTA-STS asks for (RFC 8461 §4.2): a chain that validates to a trusted CA (the JDK's trust store, or the
 * configured {@code mta_sts_trust_store}) and a leaf valid for the MX host name. Enforced in mode "enforce"; in
 * "testing" only recorded.
 */
public final class WebPkiTrustManager extends CheckingTrustManager {

    private final X509TrustManager pkix;
    private final String host;

    public WebPkiTrustManager(X509TrustManager pkix, String host, boolean enforce) {
        super(enforce);
        this.pkix = pkix;
        this.host = host;
    }

    @Override
    protected void check(X509Certificate[] chain, String authType) throws Refusal {
        try {
            pkix.checkServerTrusted(chain, authType);
        } catch (CertificateException e) {
            throw new Refusal(expired(e) ? TlsRptResult.CERTIFICATE_EXPIRED : TlsRptResult.CERTIFICATE_NOT_TRUSTED,
                    "the certificate of " + host + " is not trusted: " + e.getMessage());
        }
        List<String> names = HostnameMatch.names(chain[0]);
        if (!HostnameMatch.matches(names, host)) {
            throw new Refusal(TlsRptResult.CERTIFICATE_HOST_MISMATCH, "the certificate names " + names + ", not "
                    + host);
        }
    }
}
