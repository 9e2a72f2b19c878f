package dev.posthorn.store;

import java.util.Locale;
import java.util.regex.Pattern;

/** Syntax and case folding of account addresses ({@code local@domain}). */
public final class Addresses {

    // RFC 5322 §3.2.3 dot-atom for the local part; quoted local parts are not accepted for accounts.
    private static final Pattern LOCAL = Pattern.compile(
            "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*");
    // RFC 1035 §2.3.1 labels (letters, digits, hyphens inside), as used by RFC 5321 §4.1.2 Domain.
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");

    private Addresses() {
    }

    /** The address with local part and domain folded to lower case; throws if the syntax is wrong. */
    public static String normalize(String address) {
        String problem = problem(address);
        if (problem != null) {
            throw new IllegalArgumentException("invalid address '" + address + "': " + problem);
        }
        return address.toLowerCase(Locale.ROOT);
    }

    /** Lower-cased address, or {@code null} if the syntax is wrong (for look-ups that must not throw). */
    public static String fold(String address) {
        return address == null || problem(address) != null ? null : address.toLowerCase(Locale.ROOT);
    }

    /** Why the address is not acceptable, or null if it is. */
    static String problem(String address) {
        if (address == null || address.isEmpty()) {
            return "empty";
        }
        int at = address.lastIndexOf('@');
        if (at < 0) {
            return "expected local@domain";
        }
        String local = address.substring(0, at);
        String domain = address.substring(at + 1);
        if (local.isEmpty()) {
            return "empty local part";
        }
        if (local.length() > 64) {
            return "local part longer than 64 characters (RFC 5321 §4.5.3.1.1)";
        }
        if (!LOCAL.matcher(local).matches()) {
            return "local part may hold letters, digits and !#$%&'*+/=?^_`{|}~- separated by single dots";
        }
        return domainProblem(domain);
    }

    /** A domain name folded to lower case; throws if it is not a domain name. */
    public static String normalizeDomain(String domain) {
        String problem = domainProblem(domain);
        if (problem != null) {
            throw new IllegalArgumentException("invalid domain '" + domain + "': " + problem);
        }
        return domain.toLowerCase(Locale.ROOT);
    }

    /** Lower-cased domain, or {@code null} if it is not a domain name (for look-ups that must not throw). */
    public static String foldDomain(String domain) {
        return domain == null || domainProblem(domain) != null ? null : domain.toLowerCase(Locale.ROOT);
    }

    private static String domainProblem(String domain) {
        if (domain == null || domain.isEmpty()) {
            return "empty domain";
        }
        if (domain.length() > 253) {
            return "domain longer than 253 characters";
        }
        for (String label : domain.split("\\.", -1)) {
            if (!LABEL.matcher(label).matches()) {
                return "domain must be dot-separated labels of letters, digits and inner hyphens";
            }
        }
        return null;
    }
}
