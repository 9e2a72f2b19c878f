package dev.posthorn.mailauth;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The domains of the addresses in a From field (RFC 5322 §3.4), enough for DMARC's author domain: display
 * names, comments and quoted strings are skipped so that a crafted display name cannot pose as the address.
 */
public final class Addresses {

    private Addresses() {
    }

    /** The domain of each mailbox in the field's value, lower case; an empty string for one without a domain. */
    public static List<String> domains(String value) {
        List<String> domains = new ArrayList<>();
        StringBuilder token = new StringBuilder();
        boolean inQuote = false;
        int comment = 0;
        int angle = -1;
        String angleAddress = null;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (inQuote) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inQuote = false;
                }
                if (angle >= 0) {
                    token.append(c);
                }
                continue;
            }
            if (comment > 0) {
                if (c == '\\') {
                    i++;
                } else if (c == '(') {
                    comment++;
                } else if (c == ')') {
                    comment--;
                }
                continue;
            }
            switch (c) {
                case '"' -> {
                    inQuote = true;
                    if (angle >= 0) {
                        token.append(c);
                    }
                }
                case '(' -> comment++;
                case '<' -> {
                    angle = token.length();
                    token.setLength(0);
                }
                case '>' -> {
                    angleAddress = token.toString();
                    angle = -1;
                    token.setLength(0);
                }
                case ',' -> {
                    add(domains, angleAddress != null ? angleAddress : token.toString());
                    angleAddress = null;
                    token.setLength(0);
                }
                case ':' -> token.setLength(0); // a group's display name (RFC 5322 §3.4)
                case ';' -> {
                    if (angleAddress != null || !token.toString().isBlank()) {
                        add(domains, angleAddress != null ? angleAddress : token.toString());
                    }
                    angleAddress = null;
                    token.setLength(0);
                }
                default -> token.append(c);
            }
        }
        if (angleAddress != null || !token.toString().isBlank()) {
            add(domains, angleAddress != null ? angleAddress : token.toString());
        }
        return domains;
    }

    private static void add(List<String> domains, String address) {
        String a = address.strip();
        if (a.isEmpty()) {
            return;
        }
        int at = a.lastIndexOf('@');
        domains.add(at < 0 ? "" : a.substring(at + 1).strip().toLowerCase(Locale.ROOT));
    }
}
