package dev.posthorn.policy;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.james.mime4j.dom.address.AddressList;
import org.apache.james.mime4j.dom.address.Group;
import org.apache.james.mime4j.dom.address.Mailbox;
import org.apache.james.mime4j.field.address.DefaultAddressParser;
import org.apache.james.mime4j.field.address.ParseException;
import org.apache.james.mime4j.field.address.TokenMgrError;

/**
 * Who a message's header says wrote and sent it: the mailboxes of its {@code From:} and {@code Sender:} fields
 * (RFC 5322 §3.6.2), parsed with mime4j's RFC 5322 address grammar rather than guessed with patterns. Used by
 * sender binding at the end of DATA and open to any other check of the author (DMARC alignment).
 *
 * <p>Strict on purpose: whatever a mail reader could show as the author must be a mailbox we can name. So
 * {@code From:} must occur once and hold one or more mailboxes and no group; {@code Sender:} at most once and
 * one mailbox; values are UTF-8 (RFC 6532) without control characters. Anything else is {@link Malformed},
 * never silently skipped. Comments, quoted local parts, encoded-word display names, folding and the obsolete
 * route syntax are the parser's business and come out as the plain mailbox.
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
        String value = utf8(raw);
        if (value == null) {
            return field + " is not valid UTF-8";
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                return field + " contains a control character";
            }
        }
        AddressList list;
        try {
            list = DefaultAddressParser.DEFAULT.parseAddressList(value);
        } catch (ParseException | TokenMgrError | RuntimeException | StackOverflowError e) {
            return field + " is not an RFC 5322 mailbox list";
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Error e) {
            // Found by fuzzing: mime4j decodes RFC 2047 encoded words in display names and throws a bare Error
            // for a broken one ("=?utf-8?q?a= b?="); it must cost the message a reply, not the session.
            return field + " has a display name that cannot be decoded (RFC 2047)";
        }
        for (org.apache.james.mime4j.dom.address.Address address : list) {
            switch (address) {
                case Mailbox mailbox -> {
                    if (mailbox.getDomain() == null || mailbox.getDomain().isEmpty()) {
                        return field + " names a mailbox without a domain";
                    }
                    into.add(new Address(mailbox.getLocalPart(), mailbox.getDomain(), namesAnotherAddress(mailbox)));
                }
                // RFC 5322 §3.6.2: From: is a mailbox-list; a group's display name could pass for an address.
                case Group group -> {
                    return field + " contains a group";
                }
                default -> {
                    return field + " is not an RFC 5322 mailbox list";
                }
            }
        }
        return null;
    }

    /** Something shaped like an addr-spec (RFC 5322 §3.4.1): no white space, quotes, brackets or separators. */
    private static final java.util.regex.Pattern ADDR_SPEC =
            java.util.regex.Pattern.compile("[^\\s<>\"@,;:()\\[\\]]+@[^\\s<>\"@,;:()\\[\\]]+");

    /**
     * A display name (decoded from RFC 2047 first, as mail readers show it) holding an address other than the
     * mailbox's own: {@code "ceo@victim.example" <alice@example.test>} shows as from the CEO in many readers,
     * so binding would check one address and the reader show another. NFKC first, so a fullwidth at sign
     * (U+FF20) counts as one. The mailbox's own address in its display name (as some clients write) is fine.
     */
    private static boolean namesAnotherAddress(Mailbox mailbox) {
        String name = mailbox.getName();
        if (name == null || name.isEmpty()) {
            return false;
        }
        String own = (mailbox.getLocalPart() + "@" + mailbox.getDomain()).toLowerCase(java.util.Locale.ROOT);
        var matcher = ADDR_SPEC.matcher(java.text.Normalizer.normalize(name, java.text.Normalizer.Form.NFKC));
        while (matcher.find()) {
            if (!matcher.group().toLowerCase(java.util.Locale.ROOT).equals(own)) {
                return true;
            }
        }
        return false;
    }

    private static String utf8(byte[] raw) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(raw)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
