package dev.posthorn.smtp.session;

import dev.posthorn.smtp.protocol.SmtpProtocol;
import dev.posthorn.smtp.protocol.Transaction;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The {@code Received:} trace field prepended to every accepted message (RFC 5321 §4.4): from the EHLO name
 * and the TCP address, by us, with the protocol (RFC 3848 ESMTP/ESMTPS/ESMTPSA, RFC 6531 UTF8SMTP*), the TLS
 * parameters and authenticated identity when there are some, the queue id, and the single recipient when
 * there is exactly one.
 */
final class ReceivedHeader {

    /** RFC 5322 date-time with a numeric zone and no obsolete forms. */
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z",
            Locale.ROOT);

    private ReceivedHeader() {
    }

    /**
     * @param forAddress the single recipient as delivered (a full mailbox: {@code <Postmaster>} resolved to
     *     its hosted domain, since {@code For = ... ( Path / Mailbox )} needs a domain, RFC 5321 §4.4), or null
     */
    static String format(SmtpProtocol protocol, Transaction transaction, String forAddress, String clientAddress,
            String hostname, String queueId, ZonedDateTime now) {
        StringBuilder field = new StringBuilder(256);
        field.append("Received: from ").append(protocol.heloName())
                .append(" (").append(addressLiteral(clientAddress)).append(")\r\n");
        field.append("\tby ").append(hostname).append(" (Posthorn)");
        if (protocol.tlsDescription() != null) {
            field.append("\r\n\t(").append(protocol.tlsDescription()).append(')');
        }
        if (protocol.authenticatedUser() != null) {
            field.append("\r\n\t(authenticated as ").append(protocol.authenticatedUser()).append(')');
        }
        field.append("\r\n\twith ").append(protocol.withProtocol(transaction.params().smtputf8()))
                .append(" id ").append(queueId);
        if (forAddress != null) {
            field.append("\r\n\tfor <").append(forAddress).append('>');
        }
        field.append(";\r\n\t").append(DATE.format(now)).append("\r\n");
        return field.toString();
    }

    private static String addressLiteral(String address) {
        return address.contains(":") ? "[IPv6:" + address + "]" : "[" + address + "]";
    }
}
