package dev.posthorn.probe;

import dev.posthorn.delivery.security.HostnameMatch;
import java.net.Socket;
import java.security.KeyStore;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import javax.security.auth.x500.X500Principal;

/**
 * A trust manager that first looks at the server's certificate and writes down what a client would object
 * to (self-signed, unknown issuer, expired, other name), then leaves the decision to the JDK: in strict mode
 * the default trust manager checks the chain and, through the socket's endpoint identification algorithm
 * {@code HTTPS}, the host name; with {@code --insecure} nothing is refused.
 */
final class CertificateInspector extends X509ExtendedTrustManager {

    private final X509ExtendedTrustManager jdk;
    private final String host;
    private final boolean insecure;
    private volatile CertificateReport report;

    private final X509TrustManager policy;

    /** {@code anchors}: the certificates to trust, or null for the JDK's trust store (the normal case). */
    CertificateInspector(String host, boolean insecure, KeyStore anchors) {
        this(host, insecure, anchors, null);
    }

    /**
     * @param policy a DANE or MTA-STS check that records its verdict (never refuses); with one, the JDK's own
     *               check is skipped, as delivery does: the policy alone decides
     */
    CertificateInspector(String host, boolean insecure, KeyStore anchors, X509TrustManager policy) {
        this.jdk = trustManager(anchors);
        this.host = host;
        this.insecure = insecure || policy != null;
        this.policy = policy;
    }

    /** What was seen of the server's certificate; null when the handshake never got that far. */
    CertificateReport report() {
        return report;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        inspect(chain, authType);
        if (!insecure) {
            jdk.checkServerTrusted(chain, authType, socket);
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        inspect(chain, authType);
        if (!insecure) {
            jdk.checkServerTrusted(chain, authType, engine);
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        inspect(chain, authType);
        if (!insecure) {
            jdk.checkServerTrusted(chain, authType);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        throw new CertificateException("the probe is a client");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        throw new CertificateException("the probe is a client");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("the probe is a client");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return jdk.getAcceptedIssuers();
    }

    private void inspect(X509Certificate[] chain, String authType) {
        if (chain == null || chain.length == 0) {
            return;
        }
        if (policy != null) {
            try {
                policy.checkServerTrusted(chain, authType);
            } catch (CertificateException e) {
                // A recording check does not throw; one that does has said why in its failure.
            }
        }
        X509Certificate leaf = chain[0];
        List<String> names = names(leaf);
        boolean selfSigned = chain.length == 1
                && leaf.getSubjectX500Principal().equals(leaf.getIssuerX500Principal());
        CertificateReport.TrustProblem problem = null;
        String detail = null;
        try {
            leaf.checkValidity();
        } catch (CertificateExpiredException e) {
            problem = CertificateReport.TrustProblem.EXPIRED;
        } catch (CertificateNotYetValidException e) {
            problem = CertificateReport.TrustProblem.NOT_YET_VALID;
        }
        if (problem == null) {
            try {
                // The chain alone, without the host name: the name is judged separately below.
                jdk.checkServerTrusted(chain, authType);
            } catch (CertificateException e) {
                problem = selfSigned ? CertificateReport.TrustProblem.SELF_SIGNED
                        : isPathProblem(e) ? CertificateReport.TrustProblem.UNKNOWN_ISSUER
                        : CertificateReport.TrustProblem.OTHER;
                detail = e.getMessage();
            }
        }
        report = new CertificateReport(names, leaf.getSubjectX500Principal().getName(X500Principal.RFC2253),
                leaf.getIssuerX500Principal().getName(X500Principal.RFC2253),
                leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant(), selfSigned, problem, detail,
                matches(names, host));
    }

    private static boolean isPathProblem(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.security.cert.CertPathBuilderException
                    || t instanceof java.security.cert.CertPathValidatorException) {
                return true;
            }
        }
        return false;
    }

    static List<String> names(X509Certificate cert) {
        return HostnameMatch.names(cert);
    }

    static boolean matches(List<String> names, String host) {
        return HostnameMatch.matches(names, host);
    }

    private static X509ExtendedTrustManager trustManager(KeyStore anchors) {
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(anchors);
            for (TrustManager tm : tmf.getTrustManagers()) {
                if (tm instanceof X509ExtendedTrustManager x) {
                    return x;
                }
            }
            throw new IllegalStateException("no X509 trust manager in the JDK");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot load the JDK trust store: " + e.getMessage(), e);
        }
    }
}
