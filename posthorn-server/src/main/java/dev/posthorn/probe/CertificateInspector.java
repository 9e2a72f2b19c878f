package dev.posthorn.probe;

import java.net.IDN;
import java.net.InetAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.security.KeyStore;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
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

    /** {@code anchors}: the certificates to trust, or null for the JDK's trust store (the normal case). */
    CertificateInspector(String host, boolean insecure, KeyStore anchors) {
        this.jdk = trustManager(anchors);
        this.host = host;
        this.insecure = insecure;
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

    /** Subject alternative names of type DNS (2) and IP (7); the subject's CN only when there are none. */
    static List<String> names(X509Certificate cert) {
        List<String> names = new ArrayList<>();
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    int type = (Integer) san.get(0);
                    if (type == 2 || type == 7) {
                        names.add(String.valueOf(san.get(1)));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            // Fall through to the CN.
        }
        if (names.isEmpty()) {
            for (String rdn : cert.getSubjectX500Principal().getName(X500Principal.RFC2253).split(",")) {
                if (rdn.startsWith("CN=")) {
                    names.add(rdn.substring(3));
                }
            }
        }
        return names;
    }

    /** RFC 6125: exact match of the name, or a wildcard standing for exactly the left-most label. */
    static boolean matches(List<String> names, String host) {
        boolean ipLiteral = isIpLiteral(host);
        String wanted = ipLiteral ? canonicalIp(host) : normalise(host);
        for (String name : names) {
            if (ipLiteral) {
                if (isIpLiteral(name) && canonicalIp(name).equals(wanted)) {
                    return true;
                }
                continue;
            }
            String n = normalise(name);
            if (n.equals(wanted)) {
                return true;
            }
            if (n.startsWith("*.") && wanted.indexOf('.') > 0
                    && wanted.substring(wanted.indexOf('.')).equals(n.substring(1))
                    && n.substring(2).contains(".")) {
                return true;
            }
        }
        return false;
    }

    private static String normalise(String name) {
        String n = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        try {
            return IDN.toASCII(n, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            return n.toLowerCase(Locale.ROOT);
        }
    }

    static boolean isIpLiteral(String s) {
        return s.matches("\\d{1,3}(\\.\\d{1,3}){3}") || (s.contains(":") && s.matches("[0-9A-Fa-f:.%]+"));
    }

    private static String canonicalIp(String s) {
        try {
            // Literal: no DNS look-up happens for a numeric address.
            return InetAddress.getByName(s).getHostAddress();
        } catch (UnknownHostException e) {
            return s;
        }
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
