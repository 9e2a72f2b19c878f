package dev.posthorn.smtp.protocol;

import dev.posthorn.policy.Mailbox;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** One mail transaction: MAIL, its recipients, and how far its content has come. */
public final class Transaction {

    /** A recipient as accepted, with its DSN parameters and whether it is delivered locally. */
    public record Recipient(Mailbox mailbox, RcptParameters params, boolean local) {
    }

    private final Mailbox sender;
    private final MailParameters params;
    private final Map<String, Recipient> recipients = new LinkedHashMap<>();
    private int acceptedRcptCommands;
    private boolean chunking;
    private long chunkedOctets;
    private Object spoolHandle;
    private long contentSize;

    Transaction(Mailbox sender, MailParameters params) {
        this.sender = sender;
        this.params = params;
    }

    /** Null for the null reverse-path {@code <>}. */
    public Mailbox sender() {
        return sender;
    }

    public MailParameters params() {
        return params;
    }

    public List<Recipient> recipients() {
        return Collections.unmodifiableList(new ArrayList<>(recipients.values()));
    }

    int recipientCount() {
        return recipients.size();
    }

    /**
     * Accepted RCPT commands, repeats included: RFC 5321 §4.5.3.1.10 limits the number of RCPT commands, and
     * RFC 9422 RCPTMAX is advertised as that number.
     */
    int acceptedRcptCommands() {
        return acceptedRcptCommands;
    }

    /** A repeated recipient is accepted again (and counts towards the limit) but is delivered once. */
    void addRecipient(Recipient recipient) {
        acceptedRcptCommands++;
        recipients.putIfAbsent(key(recipient), recipient);
    }

    /**
     * When two recipients are the same. Domains are case-insensitive (RFC 5321 §2.4); local parts only for our
     * own domains, whose semantics we assign. A remote local part keeps its case: {@code Alice@remote} and
     * {@code alice@remote} may be different mailboxes, and only the remote host may say otherwise.
     */
    private static String key(Recipient recipient) {
        Mailbox mailbox = recipient.mailbox();
        String local = recipient.local() ? mailbox.localPart().toLowerCase(Locale.ROOT) : mailbox.localPart();
        return local + "@" + mailbox.domainLowerCase();
    }

    boolean isChunking() {
        return chunking;
    }

    void addChunk(long size) {
        chunking = true;
        chunkedOctets += size;
    }

    long chunkedOctets() {
        return chunkedOctets;
    }

    /** Octets of content received (after dot-unstuffing), known once the content has been read. */
    public long contentSize() {
        return contentSize;
    }

    void contentSize(long size) {
        this.contentSize = size;
    }

    /** The session's open spool file for this transaction, kept here so that RSET or EHLO can drop it. */
    public Object spoolHandle() {
        return spoolHandle;
    }

    public void spoolHandle(Object handle) {
        this.spoolHandle = handle;
    }
}
