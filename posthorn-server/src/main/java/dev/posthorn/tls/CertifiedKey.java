package dev.posthorn.tls;

import java.security.PrivateKey;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A private key with its certificate chain (leaf first) and the DNS names the leaf is valid for. */
record CertifiedKey(PrivateKey key, X509Certificate[] chain, List<String> names) {

    static CertifiedKey of(PrivateKey key, List<X509Certificate> chain) {
        return new CertifiedKey(key, chain.toArray(X509Certificate[]::new), namesOf(chain.getFirst()));
    }

    X509Certificate leaf() {
        return chain[0];
    }

    String keyAlgorithm() {
        return key.getAlgorithm();
    }

    /** RFC 6125 §6.4: the subjectAltName dNSNames; the CN only when there is no dNSName. */
    static List<String> namesOf(X509Certificate cert) {
        List<String> names = new ArrayList<>();
        try {
            if (cert.getSubjectAlternativeNames() != null) {
                for (List<?> san : cert.getSubjectAlternativeNames()) {
                    if (Integer.valueOf(2).equals(san.get(0))) {
                        names.add(((String) san.get(1)).toLowerCase(Locale.ROOT));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            // No usable SAN: fall back to the CN below.
        }
        if (names.isEmpty()) {
            for (String rdn : cert.getSubjectX500Principal().getName().split(",")) {
                if (rdn.startsWith("CN=")) {
                    names.add(rdn.substring(3).toLowerCase(Locale.ROOT));
                }
            }
        }
        return List.copyOf(names);
    }

    /** Exact match, or a wildcard {@code *.example.org} covering exactly one more label. */
    boolean matches(String serverName) {
        String name = serverName.toLowerCase(Locale.ROOT);
        for (String pattern : names) {
            if (pattern.equals(name)) {
                return true;
            }
            if (pattern.startsWith("*.")) {
                int dot = name.indexOf('.');
                if (dot > 0 && name.substring(dot).equals(pattern.substring(1))) {
                    return true;
                }
            }
        }
        return false;
    }
}
