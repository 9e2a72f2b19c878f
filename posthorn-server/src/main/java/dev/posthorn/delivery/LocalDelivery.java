package dev.posthorn.delivery;

import dev.posthorn.spool.Envelope;
import dev.posthorn.store.Maildir;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Final delivery to a hosted mailbox: {@code <data>/mail/<domain>/<local-part>/} in Maildir format, with
 * {@code Return-Path:} (RFC 5321 §4.4: added by the final-delivery MTA) and {@code Delivered-To:} on top.
 * File names are derived from the queue id and recipient index, so a delivery repeated after a crash finds
 * its earlier copy and the message lands once.
 */
public final class LocalDelivery {

    private static final Logger LOG = LoggerFactory.getLogger(LocalDelivery.class);

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

    /**
     * Delivers the queued message to one recipient. With {@code checkExisting} (recovery after a restart), a
     * copy already delivered under the same name is left alone.
     */
    public void deliver(Envelope envelope, int recipientIndex, String recipient, Path message, boolean checkExisting)
            throws IOException {
        deliver(envelope, recipientIndex, recipient, () -> Files.newInputStream(message), checkExisting);
    }

    /** Where the body comes from: the queued file, or the spool's copy in memory. */
    @FunctionalInterface
    public interface Body {
        InputStream open() throws IOException;
    }

    /** As {@link #deliver(Envelope, int, String, Path, boolean)}, with the body from {@code message}. */
    public void deliver(Envelope envelope, int recipientIndex, String recipient, Body message, boolean checkExisting)
            throws IOException {
        String account = mailboxOwner.apply(recipient);
        Maildir maildir = mailboxFor(account);
        String name = fileName(envelope, recipientIndex);
        if (checkExisting && maildir.contains(name)) {
            LOG.info("delivery id={} to=<{}> mailbox={} status=already-delivered", envelope.id(), recipient,
                    maildir.root());
            return;
        }
        String header = "Return-Path: <" + envelope.sender() + ">\r\nDelivered-To: " + account + "\r\n";
        try (InputStream body = message.open()) {
            maildir.deliver(name, header.getBytes(StandardCharsets.UTF_8), body);
        }
        LOG.info("delivery id={} to=<{}> mailbox={} status=delivered", envelope.id(), recipient, maildir.root());
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
    private String fileName(Envelope envelope, int recipientIndex) {
        return envelope.receivedAt().getEpochSecond() + ".Q" + envelope.id() + "R" + recipientIndex + "."
                + hostname.replace("/", "\\057").replace(":", "\\072");
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
