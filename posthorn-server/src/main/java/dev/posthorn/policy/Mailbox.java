package dev.posthorn.policy;

import java.util.Locale;

/**
 * A parsed RFC 5321 mailbox. {@code localPart} is in canonical form: unquoted whenever the quoted form
 * denotes a plain dot-string (RFC 5321 §4.1.2: all quoted forms of a local part are equal), so
 * {@code "postmaster"@d} and {@code postmaster@d} compare equal. {@code domain} is a domain name or an
 * address literal including its brackets; it is empty only for the special {@code <Postmaster>}.
 */
public record Mailbox(String localPart, String domain) {

    public static Mailbox postmaster() {
        return new Mailbox("postmaster", "");
    }

    public String address() {
        return domain.isEmpty() ? localPart : localPart + "@" + domain;
    }

    /** Domains are case-insensitive (RFC 5321 §2.4). */
    public String domainLowerCase() {
        return domain.toLowerCase(Locale.ROOT);
    }

    public boolean isPostmaster() {
        return localPart.equalsIgnoreCase("postmaster");
    }

    public boolean isAddressLiteral() {
        return domain.startsWith("[");
    }

    public boolean isAscii() {
        return address().chars().allMatch(c -> c < 0x80);
    }

    @Override
    public String toString() {
        return address();
    }
}
