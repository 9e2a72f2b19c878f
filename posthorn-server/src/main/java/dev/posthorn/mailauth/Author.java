package dev.posthorn.mailauth;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The author of a message as DMARC (RFC 7489 §6.6.1) and DKIM signing need it: exactly one From field holding
 * exactly one mailbox, read by {@link MailboxList}. Anything else cannot be judged: several From fields, a list
 * of several mailboxes, a value that is not a mailbox-list, a header section too large to have been kept whole
 * (a From further down was not seen). A reader may show any of those addresses as the author, so no single one
 * may stand for the message.
 */
public sealed interface Author {

    /** The one mailbox of the one From field. */
    record One(MailboxList.Mailbox mailbox) implements Author {
    }

    /** No From field at all. */
    record Absent() implements Author {
    }

    /** The author cannot be named; {@code reason} says why, in words for logs and replies. */
    record Unjudgeable(String reason) implements Author {
    }

    static Author of(MessageHeader header) {
        if (header == null || !header.complete()) {
            return new Unjudgeable("the header section is too large to check");
        }
        List<HeaderField> froms = header.all("From");
        if (froms.isEmpty()) {
            return new Absent();
        }
        if (froms.size() > 1) {
            return new Unjudgeable("more than one From field");
        }
        byte[] raw = froms.get(0).rawValue().getBytes(StandardCharsets.ISO_8859_1);
        return switch (MailboxList.parse(raw, "From")) {
            case MailboxList.Malformed m -> new Unjudgeable(m.reason());
            case MailboxList.Mailboxes list when list.mailboxes().size() != 1 ->
                    new Unjudgeable("From must hold exactly one address");
            // ""@x: no one's mailbox, so nothing to sign for or align with.
            case MailboxList.Mailboxes list when list.mailboxes().get(0).localPart().isEmpty() ->
                    new Unjudgeable("From names a mailbox without a local part");
            case MailboxList.Mailboxes list -> new One(list.mailboxes().get(0));
        };
    }
}
