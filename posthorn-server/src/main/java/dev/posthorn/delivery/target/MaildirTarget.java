package dev.posthorn.delivery.target;

import dev.posthorn.delivery.LocalDelivery;
import dev.posthorn.delivery.remote.Outcome;
import dev.posthorn.store.Maildir;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivery into hosted Maildir mailboxes. {@code body} writes and syncs one file per mailbox in {@code tmp/};
 * {@code commit} renames them into {@code new/} and syncs the directory (grouped with other deliveries), which
 * is the moment the mail is there. An account named twice (itself and an alias) gets one copy, like Postfix's
 * duplicate filter. File names come from the queue id and the recipient's index, so a repeated delivery (after
 * a restart or a retry) finds its earlier copy in {@code new/} or {@code cur/} and the mailbox gets it once.
 */
public final class MaildirTarget implements DeliveryTarget {

    private static final Logger LOG = LoggerFactory.getLogger(MaildirTarget.class);

    private final LocalDelivery mailboxes;

    public MaildirTarget(LocalDelivery mailboxes) {
        this.mailboxes = mailboxes;
    }

    @Override
    public Delivery start(TargetMessage message) {
        return new MaildirDelivery(message);
    }

    @Override
    public void close() {
        // nothing kept open
    }

    /** One file per distinct mailbox, shared by the recipients that lead to it. */
    private static final class Copy {
        final Maildir maildir;
        final String account;
        final String name;
        final String unique;
        Outcome failure;
        boolean prepared;
        boolean alreadyThere;

        Copy(Maildir maildir, String account, String name, String unique) {
            this.maildir = maildir;
            this.account = account;
            this.name = name;
            this.unique = unique;
        }
    }

    private final class MaildirDelivery implements Delivery {
        private final TargetMessage message;
        private final List<Copy> perRecipient = new ArrayList<>();
        private final Map<String, Copy> byAccount = new LinkedHashMap<>();
        private final List<TargetRecipient> recipients = new ArrayList<>();

        MaildirDelivery(TargetMessage message) {
            this.message = message;
        }

        @Override
        public void addRecipient(TargetRecipient recipient) {
            String account = mailboxes.ownerOf(recipient.address());
            Copy copy = byAccount.computeIfAbsent(account, a -> new Copy(mailboxes.mailboxFor(a), a,
                    mailboxes.fileName(message.id(), message.receivedAt(), recipient.index()),
                    LocalDelivery.uniquePart(message.id(), recipient.index())));
            recipients.add(recipient);
            perRecipient.add(copy);
        }

        @Override
        public void body(MessageContent content) {
            byte[] header;
            for (Copy copy : byAccount.values()) {
                try {
                    if (message.redelivery() && copy.maildir.containsUnique(copy.unique)) {
                        copy.alreadyThere = true;
                        continue;
                    }
                    header = mailboxes.header(message.sender(), copy.account);
                    try (InputStream in = content.open()) {
                        copy.maildir.prepare(copy.name, header, in);
                    }
                    copy.prepared = true;
                } catch (IOException | RuntimeException e) {
                    copy.failure = failure(e, copy);
                }
            }
        }

        @Override
        public List<Outcome> commit() {
            for (Copy copy : byAccount.values()) {
                if (!copy.prepared) {
                    continue;
                }
                try {
                    copy.maildir.publish(copy.name);
                } catch (IOException | RuntimeException e) {
                    copy.failure = failure(e, copy);
                }
            }
            List<Outcome> outcomes = new ArrayList<>(recipients.size());
            for (int i = 0; i < recipients.size(); i++) {
                Copy copy = perRecipient.get(i);
                if (copy.alreadyThere) {
                    LOG.info("delivery id={} to=<{}> mailbox={} status=already-delivered", message.id(),
                            recipients.get(i).address(), copy.maildir.root());
                }
                outcomes.add(copy.failure != null ? copy.failure
                        : copy.prepared || copy.alreadyThere ? LocalFailures.delivered(copy.maildir.root().toString())
                        : LocalFailures.of(new IOException("no content was written"), copy.maildir.root().toString()));
            }
            return outcomes;
        }

        @Override
        public void abort() {
            for (Copy copy : byAccount.values()) {
                if (copy.prepared) {
                    try {
                        copy.maildir.discard(copy.name);
                    } catch (IOException e) {
                        LOG.warn("cannot remove {} from {}/tmp: {}", copy.name, copy.maildir.root(), e.toString());
                    }
                }
            }
        }

        private Outcome failure(Exception e, Copy copy) {
            IOException io = e instanceof IOException i ? i : new IOException(e.toString(), e);
            Outcome outcome = LocalFailures.of(io, copy.maildir.root().toString());
            copy.prepared = false;
            try {
                copy.maildir.discard(copy.name);
            } catch (IOException | RuntimeException ignored) {
                // the mailbox is unusable anyway; tmp/ is Maildir's scratch space (readers clean it)
            }
            return outcome;
        }
    }
}
