package dev.posthorn.delivery;

import dev.posthorn.store.Maildir;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Function;

/**
 * The layout of hosted mailboxes: {@code <data>/mail/<domain>/<local-part>/} in Maildir format, with
 * {@code Return-Path:} (RFC 5321 §4.4: added by the final-delivery MTA) and {@code Delivered-To:} on top.
 * File names are derived from the queue id and recipient index, so a delivery repeated after a crash finds
 * its earlier copy and the message lands once. {@code target.MaildirTarget} writes them.
 */
public final class LocalDelivery {

    private final Path mailRoot;
    private final String hostname;
    private final Function<String, String> mailboxOwner;

    /**
     * @param mailboxOwner maps a recipient address (or alias) to the account whose mailbox receives it
     */
    public LocalDelivery(Path mailRoot, String hostname, Function<String, String> mailboxOwner) {
        this.mailRoot = mailRoot;
        this.hostname = hostname;
        this.mailboxOwner = mailboxOwner;
    }

    /** Return-Path: (RFC 5321 §4.4: added at final delivery) and Delivered-To: the account, on top of the message. */
    public byte[] header(String sender, String account) {
        return ("Return-Path: <" + sender + ">\r\nDelivered-To: " + account + "\r\n").getBytes(StandardCharsets.UTF_8);
    }

    /** The account whose mailbox receives mail for this address or alias. */
    public String ownerOf(String recipient) {
        return mailboxOwner.apply(recipient);
    }

    public Maildir mailboxFor(String account) {
        int at = account.lastIndexOf('@');
        String local = at < 0 ? account : account.substring(0, at);
        String domain = at < 0 ? "localhost" : account.substring(at + 1);
        return new Maildir(mailRoot.resolve(safeName(domain)).resolve(safeName(local)));
    }

    /** Maildir's "time.unique.host", stable for one queued recipient. */
    public String fileName(String id, java.time.Instant receivedAt, int recipientIndex) {
        return receivedAt.getEpochSecond() + uniquePart(id, recipientIndex)
                + hostname.replace("/", "\\057").replace(":", "\\072");
    }

    /**
     * The part of {@link #fileName} that names the queued recipient, dots included ({@code .Q<id>R<index>.}): what
     * a repeated delivery looks for, so that a changed hostname does not hide the earlier copy.
     */
    public static String uniquePart(String id, int recipientIndex) {
        return ".Q" + id + "R" + recipientIndex + ".";
    }

    /** Directory names from address parts: lower case, and nothing that could climb out of the mail root. */
    static String safeName(String part) {
        String lower = part.toLowerCase(Locale.ROOT);
        StringBuilder out = new StringBuilder();
        for (byte b : lower.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xFF);
            boolean plain = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '+'
                    || (c == '.' && out.length() > 0);
            out.append(plain ? String.valueOf(c) : String.format("%%%02X", (int) c));
        }
        return out.isEmpty() ? "%" : out.toString();
    }
}
