package dev.posthorn.delivery.target;

import dev.posthorn.delivery.LocalDelivery;
import dev.posthorn.delivery.remote.Outcome;
import dev.posthorn.store.Maildir;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * a delivery, never lose one. Each copy is settled on its own: one broken mailbox defers its own recipients,
 * not the batch. An account named twice (itself and an alias) gets one copy, like Postfix's
 * duplicate filter. File names come from the queue id and the recipient's index, so a repeated delivery (after
 * a restart or a retry) finds its earlier copy in {@code new/} or {@code cur/} and the mailbox gets it once.
 */
public final class MaildirTarget implements DeliveryTarget {

    private static final Logger LOG = LoggerFactory.getLogger(MaildirTarget.class);

    /**
     * Test only ({@code CrashRecoveryTest}): a sentinel file; while it exists, a flush that renamed files waits
     * after the new/ fsync and before it returns (the window where the mail is in new/ and the queue has not
     * recorded it), having created {@code <sentinel>.reached}, so a test can SIGKILL the server exactly there.
     */
    private static final String PAUSE = System.getProperty("posthorn.test.flush-pause");

    private final LocalDelivery mailboxes;
    private final int batchLimit;
    /** Files written in tmp/ by the transactions committed since the last flush. */
    private final List<Copy> unflushed = new ArrayList<>();
    /** Copies found already in new/ or cur/ since the last flush: their new/ must be synced before we say so. */
    private final List<Copy> foundThere = new ArrayList<>();
    /**
     * A syncfs descriptor per file system (st_dev) the current batch writes to, opened before its first write
     * there (so the syncfs sees every writeback error of the batch's files, Linux &ge; 5.8) and closed at the flush.
     */
    private final Map<Object, SyncFs.Descriptor> fileSystems = new LinkedHashMap<>();
    /**
     * The file system of each mailbox this batch wrote to, so that a batch of many copies to one mailbox stats
     * its root once, not once per copy (issue 15's profile); its directories are made only when missing.
     */
    private final Map<Path, Object> devicesThisBatch = new java.util.HashMap<>();

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

    /**
     * Makes the batch durable and settles each copy on its own: one syncfs per file system (a file system whose
     * syncfs fails falls back to an fsync of each of its files), then the renames, then one fsync per new/. A
     * copy whose fsync, rename or new/ sync fails is not delivered ({@link Delivery#settled} defers its
     * recipients) and is left neither in tmp/ nor in new/; the other copies of the batch are delivered.
     */
    @Override
    public void flush() {
        List<Copy> batch = List.copyOf(unflushed);
        unflushed.clear();
        List<Copy> found = List.copyOf(foundThere);
        foundThere.clear();
        Map<Object, SyncFs.Descriptor> descriptors = new LinkedHashMap<>(fileSystems);
        fileSystems.clear();
        devicesThisBatch.clear();
        try {
            // Content first: every file is durable before it gets its name in new/.
            Set<Object> unsynced = new java.util.HashSet<>();
            for (Map.Entry<Object, SyncFs.Descriptor> fs : descriptors.entrySet()) {
                try {
                    fs.getValue().sync();
                } catch (IOException e) {
                    LOG.warn("syncfs failed ({}): the batch's files there are synced one by one", e.getMessage());
                    unsynced.add(fs.getKey());
                }
            }
            for (Copy copy : batch) {
                if (copy.fileSystem != null && unsynced.contains(copy.fileSystem)) {
                    try {
                        copy.maildir.force(copy.name);
                    } catch (IOException | RuntimeException e) {
                        fail(copy, e);
                    }
                }
            }
        } finally {
            descriptors.values().forEach(SyncFs.Descriptor::close);
        }
        Map<Path, List<Copy>> byDirectory = new LinkedHashMap<>();
        for (Copy copy : batch) {
            if (copy.flushFailure != null) {
                continue;
            }
            try {
                copy.maildir.rename(copy.name);
                copy.renamed = true;
                byDirectory.computeIfAbsent(copy.maildir.newDirectory(), d -> new ArrayList<>()).add(copy);
            } catch (IOException | RuntimeException e) {
                fail(copy, e);
            }
        }
        for (Copy copy : found) {
            byDirectory.computeIfAbsent(copy.maildir.newDirectory(), d -> new ArrayList<>()).add(copy);
        }
        for (Map.Entry<Path, List<Copy>> directory : byDirectory.entrySet()) {
            try {
                GroupSync.of(directory.getKey()).sync();
            } catch (IOException | RuntimeException e) {
                directory.getValue().forEach(copy -> fail(copy, e));
            }
        }
        if (PAUSE != null && !byDirectory.isEmpty()) {
            pauseForTest(Path.of(PAUSE));
        }
    }

    private static void pauseForTest(Path sentinel) {
        try {
            if (!Files.exists(sentinel)) {
                return;
            }
            Files.writeString(sentinel.resolveSibling(sentinel.getFileName() + ".reached"), "");
            while (Files.exists(sentinel)) {
                Thread.sleep(10);
            }
        } catch (IOException | InterruptedException e) {
            LOG.warn("test pause point: {}", e.toString());
        }
    }

    /** A copy the flush could not make durable: deferred, and taken out of tmp/ or new/ (a retry writes it anew). */
    private static void fail(Copy copy, Exception e) {
        IOException io = e instanceof IOException i ? i : new IOException(e.toString(), e);
        LOG.warn("delivery to {} could not be made durable; deferred: {}", copy.maildir.root(), io.toString());
        copy.flushFailure = LocalFailures.of(io, copy.maildir.root().toString());
        if (copy.alreadyThere) {
            return; // an earlier delivery's file: not ours to remove
        }
        try {
            if (copy.renamed) {
                copy.maildir.withdraw(copy.name);
            } else {
                copy.maildir.discard(copy.name);
            }
        } catch (IOException | RuntimeException ignored) {
            // the mailbox is broken; a retry finds a file left in new/ by its name (see the class comment)
        }
    }

    /**
     * Opens, before the first write of this batch to the mailbox's file system, the descriptor its syncfs will
     * use; the file system's key (st_dev), or null when the copy must be fsynced when written instead.
     */
    private Object syncfsFor(Maildir maildir) throws IOException {
        if (!SyncFs.usable()) {
            return null;
        }
        Object known = devicesThisBatch.get(maildir.root());
        if (known != null) {
            return known;
        }
        if (!Files.isDirectory(maildir.root())) {
            maildir.create(); // a new mailbox: a failure to make it (durably) fails the copy, not only the syncfs
        }
        try {
            Object device = Files.getAttribute(maildir.root(), "unix:dev");
            if (!fileSystems.containsKey(device)) {
                fileSystems.put(device, SyncFs.open(maildir.root()));
            }
            devicesThisBatch.put(maildir.root(), device);
            return device;
        } catch (IOException | RuntimeException e) {
            LOG.debug("no syncfs for {} ({}): the file is synced on its own", maildir.root(), e.toString());
            return null;
        }
    }

    @Override
    public Delivery start(TargetMessage message) {
        return new MaildirDelivery(message);
    }

    @Override
    public void close() {
        fileSystems.values().forEach(SyncFs.Descriptor::close); // a batch never flushed (the worker failed)
        fileSystems.clear();
        devicesThisBatch.clear();
    }

    /** One file per distinct mailbox, shared by the recipients that lead to it. */
    private static final class Copy {
        final Maildir maildir;
        final String account;
        final String name;
        final String unique;
        Outcome failure;
        /** Set by the flush when this copy could not be made durable. */
        Outcome flushFailure;
        boolean prepared;
        boolean alreadyThere;
        boolean renamed;
        /** The file system key of the batch's syncfs, or null when the file was fsynced when written. */
        Object fileSystem;

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
                    copy.fileSystem = syncfsFor(copy.maildir);
                    try (InputStream in = content.open()) {
                        copy.maildir.prepare(copy.name, header, in, copy.fileSystem == null);
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
                    foundThere.add(copy); // its name must be durable before we say so
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

        /** After the flush: a recipient whose copy could not be made durable is deferred, the others stand. */
        @Override
        public List<Outcome> settled(List<Outcome> promised) {
            List<Outcome> outcomes = new ArrayList<>(promised.size());
            for (int i = 0; i < promised.size(); i++) {
                Outcome failure = perRecipient.get(i).flushFailure;
                outcomes.add(failure != null && promised.get(i).kind() == Outcome.Kind.DELIVERED
                        ? failure : promised.get(i));
            }
            return outcomes;
        }

        @Override
        public void abort() {
            unflushed.removeAll(byAccount.values());
            foundThere.removeAll(byAccount.values()); // aborted after its commit (a bug path): not renamed then
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
