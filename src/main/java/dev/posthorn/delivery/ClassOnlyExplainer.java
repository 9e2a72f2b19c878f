package dev.posthorn.delivery;

import java.util.Locale;

/**
 * TEMPORARY: explains a reply from its class digits only (RFC 3463 §3.1-3.2).
 * To be replaced by an explainer that delegates to {@code dev.posthorn.codes.Catalogue} once it is on main.
 */
public final class ClassOnlyExplainer implements ReplyExplainer {

    @Override
    public String explain(int code, String enhanced, Locale lang) {
        String cls = switch (code / 100) {
            case 2 -> "2xx: success, the server accepted the request.";
            case 3 -> "3xx: the server waits for more input.";
            case 4 -> "4xx: temporary failure; the condition may clear, so the message will be retried.";
            default -> "5xx: permanent failure; retrying the same message will not help.";
        };
        if (enhanced == null || !enhanced.matches("[245]\\.\\d{1,3}\\.\\d{1,3}")) {
            return cls;
        }
        String subject = switch (enhanced.split("\\.")[1]) {
            case "1" -> " It concerns the address (mailbox or domain).";
            case "2" -> " It concerns the recipient's mailbox.";
            case "3" -> " It concerns the receiving mail system.";
            case "4" -> " It concerns the network or routing.";
            case "5" -> " It concerns the mail delivery protocol.";
            case "6" -> " It concerns the message content or media.";
            case "7" -> " It concerns security or policy.";
            default -> "";
        };
        return cls + subject;
    }
}
