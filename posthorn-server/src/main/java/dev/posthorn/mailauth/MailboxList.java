package dev.posthorn.mailauth;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.james.mime4j.dom.address.AddressList;
import org.apache.james.mime4j.dom.address.Group;
import org.apache.james.mime4j.field.address.DefaultAddressParser;
import org.apache.james.mime4j.field.address.ParseException;
import org.apache.james.mime4j.field.address.TokenMgrError;

/**
 * The value of an address field read as an RFC 5322 §3.4 mailbox-list with mime4j's strict grammar (not
 * patterns): comments, quoted local parts, display names (encoded words too), folding and obs-route are the
 * parser's business and come out as the plain mailbox. Anything a mail reader could show as an address that
 * this cannot name as a mailbox is {@link Malformed}, never skipped: a group, a mailbox without a domain, text
 * after an address ({@code <a@x> <b@y>}), invalid UTF-8 (RFC 6532) or a control character.
 *
 * <p>The one reading of From and Sender for every decision that depends on them: who may have mail signed for
 * a domain, which domain DMARC judges ({@link Author}), and sender binding on the submission port
 * ({@code policy.HeaderFrom}, which adds its own rules on top). A leaf: it depends on nothing of Posthorn's.
 */
public final class MailboxList {

    /**
     * A mailbox as the parser gives it: the local part without quotes or escapes (possibly empty, from
     * {@code ""@x}), the domain (a name, or an address literal in brackets) and the display name as a mail
     * reader shows it (RFC 2047 words decoded; null when there is none). A quoted local part may hold
     * {@code @}; compare the parts, not {@link #address()}, when it matters whose mailbox this is.
     */
    public record Mailbox(String localPart, String domain, String displayName) {
        public String address() {
            return localPart + "@" + domain;
        }
    }

    /** The outcome of reading one field value. */
    public sealed interface Result {
    }

    /** The mailboxes, in order (possibly none for an empty value). */
    public record Mailboxes(List<Mailbox> mailboxes) implements Result {
        public Mailboxes {
            mailboxes = List.copyOf(mailboxes);
        }
    }

    /** Not a mailbox-list; {@code reason} says why in a few words (for logs and replies). */
    public record Malformed(String reason) implements Result {
    }

    private MailboxList() {
    }

    /**
     * Reads a field value given as its raw octets after the colon, folding CRLFs included or removed
     * (RFC 5322 §2.2.3: unfolding drops only the CRLF; a CR or LF alone is a control character).
     *
     * @param field the field's name as the reason should show it ("From", "From:")
     */
    public static Result parse(byte[] rawValue, String field) {
        String value = utf8(rawValue);
        if (value == null) {
            return new Malformed(field + " is not valid UTF-8");
        }
        value = value.replace("\r\n", "");
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                return new Malformed(field + " contains a control character");
            }
        }
        AddressList list;
        try {
            list = DefaultAddressParser.DEFAULT.parseAddressList(value);
        } catch (ParseException | TokenMgrError | RuntimeException | StackOverflowError e) {
            return new Malformed(field + " is not an RFC 5322 mailbox list");
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Error e) {
            // Found by fuzzing: mime4j decodes RFC 2047 words in display names and throws a bare Error for a
            // broken one ("=?utf-8?q?a= b?="): that costs the field its reading (a reply), not the thread.
            return new Malformed(field + " has a display name that cannot be decoded (RFC 2047)");
        }
        List<Mailbox> mailboxes = new ArrayList<>();
        for (org.apache.james.mime4j.dom.address.Address address : list) {
            switch (address) {
                case org.apache.james.mime4j.dom.address.Mailbox m -> {
                    if (m.getDomain() == null || m.getDomain().isEmpty()) {
                        return new Malformed(field + " names a mailbox without a domain");
                    }
                    mailboxes.add(new Mailbox(m.getLocalPart(), m.getDomain(), m.getName()));
                }
                // RFC 5322 §3.6.2: From and Sender are mailbox-lists; a group's display name could pass for one.
                case Group g -> {
                    return new Malformed(field + " contains a group");
                }
                default -> {
                    return new Malformed(field + " is not an RFC 5322 mailbox list");
                }
            }
        }
        return new Mailboxes(mailboxes);
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
