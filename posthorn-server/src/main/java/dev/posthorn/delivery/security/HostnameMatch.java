package dev.posthorn.delivery.security;

import java.net.IDN;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import javax.security.auth.x500.X500Principal;

/** RFC 6125 name checks of a certificate, shared by outbound delivery and {@code posthorn probe}. */
public final class HostnameMatch {

    private HostnameMatch() {
    }

    /** Subject alternative names of type DNS (2) and IP (7); the subject's CN only when there are none. */
    public static List<String> names(X509Certificate cert) {
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

    /** RFC 6125 §6.4: exact match of the name, or a wildcard standing for exactly the left-most label. */
    public static boolean matches(List<String> names, String host) {
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

    static String normalise(String name) {
        String n = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        try {
            return IDN.toASCII(n, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            return n.toLowerCase(Locale.ROOT);
        }
    }

    public static boolean isIpLiteral(String s) {
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
}
