package dev.posthorn.smtp.protocol;

import java.util.ArrayList;
import java.util.List;

/** The EHLO keyword lines for a session's current state (SMTP-CONFORMANCE §3 E-9 and the §4 matrix). */
final class Capabilities {

    private Capabilities() {
    }

    static List<String> list(SessionSettings settings, boolean tlsActive, dev.posthorn.auth.SaslMechanisms sasl) {
        List<String> lines = new ArrayList<>();
        lines.add("PIPELINING");
        lines.add("SIZE " + settings.maxMessageSize());
        lines.add("8BITMIME");
        lines.add("SMTPUTF8");
        lines.add("ENHANCEDSTATUSCODES");
        lines.add("CHUNKING");
        lines.add("DSN");
        // RFC 3207 §4.2: never advertise STARTTLS once TLS is active.
        if (!tlsActive && settings.tlsAvailable()) {
            lines.add("STARTTLS");
        }
        // AUTH only where it is used (submission) and only inside TLS (RFC 4954 §4, §6).
        if (settings.role().requiresAuth() && tlsActive && sasl != null) {
            List<String> mechanisms = sasl.advertised(true);
            if (!mechanisms.isEmpty()) {
                lines.add("AUTH " + String.join(" ", mechanisms));
            }
        }
        lines.add("LIMITS RCPTMAX=" + settings.maxRecipients());
        return lines;
    }
}
