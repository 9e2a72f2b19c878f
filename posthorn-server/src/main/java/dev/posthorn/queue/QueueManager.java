package dev.posthorn.queue;

import dev.posthorn.delivery.LocalDelivery;
import dev.posthorn.spool.Envelope;
import dev.posthorn.spool.EnvelopeCodec;
import dev.posthorn.spool.EnvelopeRecipient;
import dev.posthorn.spool.Spool;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes accepted messages from the spool to their recipients. Local recipients are delivered at once; on
 * start-up every message still in the queue is delivered (recovery), and a periodic sweep retries what failed
 * for a local reason (a full disk, say). Remote recipients stay queued for outbound delivery.
 */
public final class QueueManager implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(QueueManager.class);

    private final Spool spool;
    private final LocalDelivery local;
    /**
     * Deliveries running at once (system property {@code posthorn.delivery.concurrency}), on platform threads:
     * delivery is file work, which blocks a virtual thread's carrier anyway. Each delivery writes and syncs a
     * mailbox file; the disk serialises the syncs, and every one queued ahead of the spool's journal sync
     * delays the next {@code 250}. A few at a time keep up with a steady load and let bursts queue (in memory,
     * or in the spool when it holds too much), like Postfix's local_destination_concurrency_limit.
     */
    private final ExecutorService workers = Executors.newFixedThreadPool(
            Math.max(1, Integer.getInteger("posthorn.delivery.concurrency", 4)),
            Thread.ofPlatform().daemon().name("delivery-", 1).factory());
    private final ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("queue-sweep").factory());
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    /** Messages whose local recipients are all delivered in this run. */
    private final Set<String> localDone = ConcurrentHashMap.newKeySet();
    /** Messages with remote recipients the outbound scheduler still works on. */
    private final Set<String> remoteActive = ConcurrentHashMap.newKeySet();
    private volatile OutboundScheduler outbound;

    public QueueManager(Spool spool, LocalDelivery local) {
        this.spool = spool;
        this.local = local;
    }

    /**
     * Hands remote recipients to outbound delivery from now on (before {@link #start()}); without it they stay
     * queued untouched.
     */
    public void attachOutbound(OutboundScheduler scheduler) {
        this.outbound = scheduler;
    }

    /** Called by the outbound scheduler when every remote recipient of a message is delivered or bounced. */
    public void remoteDone(String id) {
        remoteActive.remove(id);
        removeIfFinished(id);
    }

    /** Delivers whatever a previous run accepted and did not finish, then sweeps every minute. */
    public void start() throws IOException {
        removeUnacknowledged();
        List<Envelope> pending = pending();
        if (!pending.isEmpty()) {
            LOG.info("queue recovery: {} message(s) to deliver", pending.size());
        }
        for (Envelope envelope : pending) {
            schedule(envelope, true);
        }
        sweeper.scheduleWithFixedDelay(this::sweep, 60, 60, TimeUnit.SECONDS);
    }

    /** Called after the {@code 250}: the message is durable, deliver it. */
    public void accepted(Envelope envelope) {
        schedule(envelope, false);
    }

    private void schedule(Envelope envelope, boolean recovering) {
        if (!inFlight.add(envelope.id())) {
            return;
        }
        workers.execute(() -> {
            try {
                deliver(envelope, recovering);
            } finally {
                inFlight.remove(envelope.id());
            }
        });
    }

    private void deliver(Envelope envelope, boolean recovering) {
        if (recovering && !Files.exists(spool.envelopeFile(envelope.id()))) {
            return; // Finished and removed since the sweep listed it: delivering again would duplicate it.
        }
        // From memory when the spool still holds it (journaled, no files yet), else from <id>.msg.
        LocalDelivery.Body message = () -> spool.openContent(envelope.id());
        boolean allDone = true;
        List<EnvelopeRecipient> recipients = envelope.recipients();
        List<EnvelopeRecipient> remote = new ArrayList<>();
        Set<String> mailboxes = new HashSet<>();
        for (int i = 0; i < recipients.size(); i++) {
            EnvelopeRecipient recipient = recipients.get(i);
            if (!recipient.local()) {
                remote.add(recipient);
                continue;
            }
            if (localDone.contains(envelope.id())) {
                continue;
            }
            // An account named twice (itself and an alias, say) gets one copy, like Postfix's duplicate filter.
            if (!mailboxes.add(local.ownerOf(recipient.address()))) {
                continue;
            }
            try {
                local.deliver(envelope, i, recipient.address(), message, recovering);
            } catch (IOException | RuntimeException e) {
                allDone = false;
                LOG.warn("delivery id={} to=<{}> status=deferred reason=\"{}\"", envelope.id(), recipient.address(),
                        e.toString());
            }
        }
        OutboundScheduler scheduler = outbound;
        if (!remote.isEmpty() && scheduler != null) {
            remoteActive.add(envelope.id());
        }
        if (allDone) {
            localDone.add(envelope.id());
        }
        if (!allDone || !remote.isEmpty()) {
            try {
                // It stays queued: give it its files, so sweeps and the outbound queue find it.
                spool.materialize(envelope.id());
            } catch (IOException e) {
                LOG.warn("queue id={} could not write queue files: {}", envelope.id(), e.toString());
            }
        }
        if (!remote.isEmpty() && scheduler != null) {
            scheduler.submit(toQueued(envelope, spool.messageFile(envelope.id()), remote), recovering);
        }
        if (allDone && (remote.isEmpty() || scheduler != null)) {
            removeIfFinished(envelope.id());
        } else if (!recovering) {
            // Something is left: later sweeps retry it with the duplicate check on.
            LOG.info("queue id={} status=queued remaining recipients wait for a later attempt", envelope.id());
        }
    }

    /** Removes a message once its local recipients are delivered and outbound delivery is done with it. */
    private void removeIfFinished(String id) {
        if (!claimRemoval(id)) {
            return;
        }
        try {
            spool.remove(id);
            Files.deleteIfExists(StateFile.path(spool.directory(), id));
        } catch (IOException e) {
            LOG.warn("queue id={} could not remove delivered message: {}", id, e.toString());
        }
    }

    /** Decides under the lock, so that exactly one caller removes; the files are removed outside it. */
    private synchronized boolean claimRemoval(String id) {
        if (!localDone.contains(id) || remoteActive.contains(id)) {
            return false;
        }
        return localDone.remove(id);
    }

    private static QueuedMessage toQueued(Envelope e, Path content, List<EnvelopeRecipient> remote) {
        List<QueuedMessage.Recipient> recipients = remote.stream()
                .map(r -> new QueuedMessage.Recipient(r.address(), r.notifyOn() == null ? Set.of() : r.notifyOn(), r.orcpt()))
                .toList();
        return new QueuedMessage(e.id(), e.receivedAt(), e.hasNullSender() ? "" : e.sender(), recipients,
                "8BITMIME".equalsIgnoreCase(e.body()), e.smtputf8(), e.ret(), e.envid(), content, e.size());
    }

    private void sweep() {
        try {
            for (Envelope envelope : pending()) {
                if (localDone.contains(envelope.id())) {
                    continue;
                }
                if (envelope.recipients().stream().anyMatch(EnvelopeRecipient::local)) {
                    schedule(envelope, true);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("queue sweep failed: {}", e.toString());
        }
    }

    /** Every message in the queue, oldest first. */
    public List<Envelope> pending() throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(spool.directory(), "*.env")) {
            stream.forEach(files::add);
        }
        files.sort(null);
        List<Envelope> envelopes = new ArrayList<>();
        for (Path file : files) {
            try {
                envelopes.add(EnvelopeCodec.read(file));
            } catch (IOException e) {
                LOG.error("queue file {} unreadable, left in place: {}", file, e.toString());
            }
        }
        return envelopes;
    }

    /**
     * A .msg without its .env never got a 250 (the session died first): it must not be delivered. A .state
     * without its .env belongs to a message removed just before a crash.
     */
    private void removeUnacknowledged() throws IOException {
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(spool.directory(), "*.{msg,tmp,state}")) {
            for (Path file : stream) {
                String name = file.getFileName().toString();
                String id = name.substring(0, name.indexOf('.'));
                if (name.endsWith(".tmp") || !Files.exists(spool.envelopeFile(id))) {
                    Files.deleteIfExists(file);
                    LOG.info("queue recovery: removed unacknowledged {}", name);
                }
            }
        }
    }

    /** Waits for deliveries in progress, for a clean shutdown. */
    @Override
    public void close() {
        sweeper.shutdownNow();
        workers.shutdown();
        try {
            workers.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        spool.close();
    }
}
