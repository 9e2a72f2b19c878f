package dev.posthorn.queue;

import dev.posthorn.spool.Envelope;
import dev.posthorn.spool.EnvelopeRecipient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * Which messages an operator's action applies to: given ids, or every message that matches all the filters
 * given ({@code --domain} of a recipient, {@code --sender}, {@code --recipient}, {@code --older-than}), or all.
 */
public record QueueSelector(List<String> ids, boolean all, String domain, String sender, String recipient,
                            Duration olderThan) {

    public QueueSelector {
        ids = ids == null ? List.of() : List.copyOf(ids);
    }

    /** Whether it names anything at all: an action without ids, filters or --all is a mistake. */
    public boolean empty() {
        return ids.isEmpty() && !all && domain == null && sender == null && recipient == null && olderThan == null;
    }

    public boolean matches(Envelope e, Instant now) {
        if (!ids.isEmpty() && !ids.contains(e.id())) {
            return false;
        }
        if (domain != null && e.recipients().stream().noneMatch(r -> domainOf(r.address()).equals(norm(domain)))) {
            return false;
        }
        if (sender != null && !norm(sender).equals(norm(e.hasNullSender() ? "<>" : e.sender()))) {
            return false;
        }
        if (recipient != null && e.recipients().stream().map(EnvelopeRecipient::address).map(QueueSelector::norm)
                .noneMatch(norm(recipient)::equals)) {
            return false;
        }
        return olderThan == null || e.receivedAt().isBefore(now.minus(olderThan));
    }

    private static String domainOf(String address) {
        return norm(address.substring(address.lastIndexOf('@') + 1));
    }

    private static String norm(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        if (t.startsWith("<") && t.endsWith(">") && t.length() > 2) {
            t = t.substring(1, t.length() - 1);
        }
        return t.endsWith(".") ? t.substring(0, t.length() - 1) : t;
    }
}
