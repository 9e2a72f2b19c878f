package dev.posthorn.delivery.target;

import dev.posthorn.delivery.LocalDelivery;
import dev.posthorn.delivery.remote.Outcome;
import dev.posthorn.store.Maildir;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import dev.posthorn.store.GroupSync;
import dev.posthorn.store.SyncFs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivery into hosted Maildir mailboxes, a batch of messages at a time. {@code body} writes one file per
 * mailbox in {@code tmp/}; {@code commit} only promises; {@link #flush} makes the batch durable: one
 * {@code syncfs(2)} for all its files (or, without it, an {@code fsync} each in {@code body}), then the renames
 * into {@code new/}, then one fsync per {@code new/} directory (grouped with other workers). That is the moment
 * the mail is there, and the scheduler records the recipients as delivered only after it, so a crash can repeat
 * a delivery, never lose one. An account named twice (itself and an alias) gets one copy, like Postfix's
 * duplicate filter. File names come from the queue id and the recipient's index, so a repeated delivery (after
 * a restart or a retry) finds its earlier copy in {@code new/} or {@code cur/} and the mailbox gets it once.
 */
public final class MaildirTarget implements DeliveryTarget {

    private static final Logger LOG = LoggerFactory.getLogger(MaildirTarget.class);

    /** The file system of each mailbox seen so far: one syncfs per file system in a batch. */
    private static final Map<Path, FileStore> FILE_SYSTEMS = new ConcurrentHashMap<>();

    private final LocalDelivery mailboxes;
    private final int batchLimit;
    private final boolean syncfs = SyncFs.available();
    /** Files written in tmp/ by the transactions committed since the last flush. */
    private final List<Copy> unflushed = new ArrayList<>();
    /** new/ directories whose entries the batch relies on (renamed into, or a copy found there). */
    private final Set<Path> directories = new LinkedHashSet<>();

    public MaildirTarget(LocalDelivery mailboxes) {
        this(mailboxes, 1);
    }

    /** @param batchLimit messages a worker writes before it makes them durable together */
    public MaildirTarget(LocalDelivery mailboxes, int batchLimit) {
        this.mailboxes = mailboxes;
        this.batchLimit = Math.max(1, batchLimit);
    }

    @Override
    public int batchLimit() {
        return batchLimit;
    }

    @Override
    public void flush() throws IOException {
        List<Copy> batch = List.copyOf(unflushed);
        unflushed.clear();
        Set<Path> synced = new LinkedHashSet<>(directories);
        directories.clear();
        int renamed = 0;
        try {
            if (syncfs && !batch.isEmpty()) {
                // Content first: every file of the batch is durable before any of them gets its name in new/.
                Set<FileStore> done = new java.util.HashSet<>();
                for (Copy copy : batch) {
                    if (done.add(fileSystemOf(copy.maildir.root()))) {
                        SyncFs.sync(copy.maildir.root());
                    }
                }
            }
            for (Copy copy : batch) {
                copy.maildir.rename(copy.name);
                renamed++;
                synced.add(copy.maildir.newDirectory());
            }
            for (Path directory : synced) {
                GroupSync.of(directory).sync();
            }
        } catch (IOException | RuntimeException e) {
            for (Copy copy : batch.subList(renamed, batch.size())) {
                try {
                    copy.maildir.discard(copy.name);
                } catch (IOException | RuntimeException ignored) {
                    // tmp/ is Maildir's scratch space: readers clean it
                }
            }
            throw e instanceof IOException io ? io : new IOException(e.toString(), e);
        }
    }

    private static FileStore fileSystemOf(Path mailbox) throws IOException {
        FileStore known = FILE_SYSTEMS.get(mailbox);
        if (known == null) {
            known = Files.getFileStore(mailbox);
            FILE_SYSTEMS.put(mailbox, known);
        }
        return known;
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
                        copy.maildir.prepare(copy.name, header, in, !syncfs);
                    }
                    copy.prepared = true;
                } catch (IOException | RuntimeException e) {
                    copy.failure = failure(e, copy);
                }
            }
        }

        /** Promises: the files are renamed and synced by {@link MaildirTarget#flush}. */
        @Override
        public List<Outcome> commit() {
            for (Copy copy : byAccount.values()) {
                if (copy.prepared) {
                    unflushed.add(copy);
                } else if (copy.alreadyThere) {
                    directories.add(copy.maildir.newDirectory()); // its name must be durable before we say so
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
            unflushed.removeAll(byAccount.values()); // aborted after its commit (a bug path): not renamed then
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
