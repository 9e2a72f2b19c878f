package dev.posthorn.policy;

import dev.posthorn.mailauth.MailboxList;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Who a message's header says wrote and sent it: the mailboxes of its {@code From:} and {@code Sender:} fields
 * (RFC 5322 §3.6.2), each value read by {@link MailboxList} (mime4j's RFC 5322 address grammar, the same
 * reading DKIM signing and DMARC use) rather than guessed with patterns. Used by sender binding at the end of
 * DATA.
 *
 * <p>Strict on purpose: whatever a mail reader could show as the author must be a mailbox we can name. So
 * {@code From:} must occur once and hold one or more mailboxes and no group; {@code Sender:} at most once and
 * one mailbox; values are UTF-8 (RFC 6532) without control characters; no more than {@link #MAX_MAILBOXES}.
 * Anything else is {@link Malformed}, never silently skipped. On top of the reading, each mailbox says whether
 * its display name shows another address ({@link Address#spoofingName()}).
 */
public final class HeaderFrom {

    /** What the header says, or why it cannot be said. */
    public sealed interface Result {
    }

    /** The mailboxes of {@code From:} (never empty) and {@code Sender:} (empty when there is none). */
    public record Mailboxes(List<Address> from, List<Address> sender) implements Result {
        public Mailboxes {
            from = List.copyOf(from);
            sender = List.copyOf(sender);
        }

        /** Every mailbox the header names as author or sender. */
        public List<Address> all() {
            List<Address> all = new ArrayList<>(from);
            all.addAll(sender);
            return all;
        }
    }

    /** No {@code From:} field at all (RFC 5322 requires one; whether that is acceptable is the caller's call). */
    public record Absent() implements Result {
    }

    /** The header cannot be read as RFC 5322 says it must be; {@code reason} says how, for the reply. */
    public record Malformed(String reason) implements Result {
    }

    /** The header is larger than the server examines, so nothing can be said about it. */
    public record Unexamined() implements Result {
    }

    /**
     * A mailbox as the parser gave it: the local part without quotes or escapes, the domain (a name or an
     * address literal). A local part may contain {@code @} when it was quoted; {@link #address()} is then
     * ambiguous, which is why ownership checks compare the parts. {@code spoofingName}: its display name holds
     * another address (see {@link #namesAnotherAddress}), which policy refuses even for an owned mailbox.
     */
    public record Address(String localPart, String domain, boolean spoofingName) {
        public Address(String localPart, String domain) {
            this(localPart, domain, false);
        }

        public String address() {
            return localPart + "@" + domain;
        }
    }

    /**
     * More mailboxes than this in From: and Sender: together and the header is refused as unreadable: each is checked
     * against the user's addresses, and no real message names hundreds of authors (RFC 5322 §3.6.2).
     */
    public static final int MAX_MAILBOXES = 100;

    private HeaderFrom() {
    }

    /**
     * Parses the unfolded values (after the colon, line breaks removed) of every {@code From:} and every
     * {@code Sender:} field, as raw header bytes.
     */
    public static Result parse(List<byte[]> fromValues, List<byte[]> senderValues) {
        if (fromValues.isEmpty()) {
            return senderValues.isEmpty() ? new Absent() : new Malformed("Sender: without From:");
        }
        if (fromValues.size() > 1) {
            return new Malformed("more than one From: field");
        }
        if (senderValues.size() > 1) {
            return new Malformed("more than one Sender: field");
        }
        List<Address> from = new ArrayList<>();
        String problem = mailboxes(fromValues.get(0), "From:", from);
        if (problem != null) {
            return new Malformed(problem);
        }
        if (from.isEmpty()) {
            return new Malformed("From: names no mailbox");
        }
        List<Address> sender = new ArrayList<>();
        if (!senderValues.isEmpty()) {
            problem = mailboxes(senderValues.get(0), "Sender:", sender);
            if (problem != null) {
                return new Malformed(problem);
            }
            if (sender.size() != 1) {
                return new Malformed("Sender: must name exactly one mailbox");
            }
        }
        if (from.size() + sender.size() > MAX_MAILBOXES) {
            return new Malformed("From: and Sender: name more than " + MAX_MAILBOXES + " mailboxes");
        }
        return new Mailboxes(from, sender);
    }

    /** Adds the mailboxes of one field value to {@code into}; returns what is wrong with it, or null. */
    private static String mailboxes(byte[] raw, String field, List<Address> into) {
        return switch (MailboxList.parse(raw, field)) {
            case MailboxList.Malformed malformed -> malformed.reason();
            case MailboxList.Mailboxes list -> {
                for (MailboxList.Mailbox mailbox : list.mailboxes()) {
                    into.add(new Address(mailbox.localPart(), mailbox.domain(), namesAnotherAddress(mailbox)));
                }
                yield null;
            }
        };
    }

    /** Something shaped like an addr-spec (RFC 5322 §3.4.1): no white space, quotes, brackets or separators. */
    private static final Pattern ADDR_SPEC = Pattern.compile("[^\\s<>\"@,;:()\\[\\]]+@[^\\s<>\"@,;:()\\[\\]]+");

    /**
     * A display name (decoded from RFC 2047 first, as mail readers show it) holding an address other than the
     * mailbox's own: {@code "ceo@victim.example" <alice@example.test>} shows as from the CEO in many readers,
     * so binding would check one address and the reader show another. NFKC first, so a fullwidth at sign
     * (U+FF20) counts as one. The mailbox's own address in its display name (as some clients write) is fine.
     */
    private static boolean namesAnotherAddress(MailboxList.Mailbox mailbox) {
        String name = mailbox.displayName();
        if (name == null || name.isEmpty()) {
            return false;
        }
        String own = mailbox.address().toLowerCase(Locale.ROOT);
        var matcher = ADDR_SPEC.matcher(Normalizer.normalize(name, Normalizer.Form.NFKC));
        while (matcher.find()) {
            if (!matcher.group().toLowerCase(Locale.ROOT).equals(own)) {
                return true;
            }
        }
        return false;
    }
}
