package dev.posthorn.queue;

import dev.posthorn.delivery.target.MessageContent;
import dev.posthorn.spool.Envelope;
import dev.posthorn.spool.EnvelopeCodec;
import dev.posthorn.spool.Spool;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The queue on the spool's files: envelopes in {@code <id>.env}, content in {@code <id>.msg} (or in memory while
 * the spool holds it), state in {@code <id>.state}, every change through the spool's journal (group commit).
 * The due index and the claims live in memory: one process has the spool open at a time (its lock), so a claim
 * needs no lease, and a crash ends every claim.
 */
public final class FileQueueStore implements QueueStore {

    private static final Logger LOG = LoggerFactory.getLogger(FileQueueStore.class);

    private record Due(Instant at, String id, long token) {
    }

    private final Spool spool;
    private final Clock clock;
    private final ConcurrentHashMap<String, QueuedMessage> messages = new ConcurrentHashMap<>();
    private final List<SetAside> setAside = new ArrayList<>();
    private final PriorityQueue<Due> index = new PriorityQueue<>(Comparator.comparing(Due::at));
    private long tokens;
    private volatile Runnable onDue = () -> { };

    /** Loads every message the spool has (after its replay), with its state. */
    public FileQueueStore(Spool spool, Clock clock) throws IOException {
        this.spool = spool;
        this.clock = clock;
        Instant now = clock.instant();
        for (String id : spool.storedIds()) {
            QueuedMessage message = load(id, now);
            if (message != null) {
                messages.put(id, message);
                synchronized (message) {
                    reindex(message);
                }
            }
        }
        if (!messages.isEmpty()) {
            LOG.info("queue recovery: {} message(s) in the queue", messages.size());
        }
        if (!setAside.isEmpty()) {
            LOG.error("queue recovery: {} message(s) SET ASIDE, unreadable: {}", setAside.size(),
                    setAside.stream().map(SetAside::id).toList());
        }
    }

    private QueuedMessage load(String id, Instant now) {
        Envelope envelope;
        MessageState state;
        try {
            envelope = EnvelopeCodec.read(spool.envelopeFile(id));
            state = StateFile.read(spool.directory(), id);
        } catch (IOException e) {
            SetAside aside = SetAside.check(spool.directory(), id);
            if (aside != null) {
                synchronized (setAside) {
                    setAside.add(aside);
                }
                LOG.error("queue id={} SET ASIDE: {}; it is not delivered and no notice is sent until an operator "
                        + "repairs or deletes it (its files are kept; posthorn queue list shows it)", id, aside.reason());
            }
            return null;
        }
        state = state == null ? MessageState.fresh(envelope, now) : MessageState.reconcile(state, envelope, now);
        for (RecipientState r : state.recipients) {
            if (r.status == RecipientStatus.IN_FLIGHT) {
                // Being attempted when the last run stopped and nothing recorded since: due again (at least once).
                r.status = RecipientStatus.QUEUED;
                r.nextAttempt = now;
            }
        }
        return new QueuedMessage(envelope, state, true);
    }

    @Override
    public QueuedMessage add(Envelope envelope) {
        QueuedMessage message = new QueuedMessage(envelope, MessageState.fresh(envelope, clock.instant()), false);
        if (messages.putIfAbsent(envelope.id(), message) != null) {
            return messages.get(envelope.id());
        }
        synchronized (message) {
            reindex(message);
        }
        return message;
    }

    @Override
    public List<QueuedMessage> claimDue(Instant now, int max) {
        List<Due> candidates = new ArrayList<>();
        synchronized (index) {
            while (!index.isEmpty() && !index.peek().at().isAfter(now) && candidates.size() < max) {
                candidates.add(index.poll());
            }
        }
        List<QueuedMessage> claimed = new ArrayList<>();
        for (Due due : candidates) {
            QueuedMessage message = messages.get(due.id());
            if (message == null) {
                continue;
            }
            synchronized (message) {
                // Only the index entry the message was last put in counts; older ones are stale.
                if (message.dueAt == null || message.dueToken != due.token() || message.claimed || message.finishing
                        || message.state().held) {
                    continue;
                }
                message.dueAt = null;
                message.claimed = true;
                claimed.add(message);
            }
        }
        return claimed;
    }

    @Override
    public Instant nextDue() {
        synchronized (index) {
            Due head = index.peek();
            return head == null ? null : head.at();
        }
    }

    @Override
    public void onDue(Runnable listener) {
        this.onDue = listener;
    }

    @Override
    public CompletableFuture<Void> save(QueuedMessage message) {
        return spool.writeState(message.id(), StateFile.encode(message.state()));
    }

    @Override
    public void release(QueuedMessage message) {
        synchronized (message) {
            message.claimed = false;
            reindex(message);
        }
    }

    @Override
    public void reschedule(QueuedMessage message) {
        synchronized (message) {
            if (!message.claimed) {
                reindex(message);
            }
        }
    }

    /** Under the message's lock: indexes it at its earliest next attempt, unless held or done. */
    private void reindex(QueuedMessage message) {
        Instant at = message.state().earliestAttempt();
        if (at == null || message.finishing || message.state().held) {
            message.dueAt = null;
            return;
        }
        boolean earliest;
        synchronized (index) {
            message.dueAt = at;
            message.dueToken = ++tokens;
            index.add(new Due(at, message.id(), message.dueToken));
            earliest = index.peek().token() == message.dueToken;
        }
        if (earliest) {
            onDue.run();
        }
    }

    @Override
    public CompletableFuture<Void> finish(QueuedMessage message) {
        message.finishing = true;
        message.dueAt = null;
        String id = message.id();
        return spool.remove(id).thenRun(() -> messages.remove(id, message));
    }

    @Override
    public MessageContent content(String id) {
        return new MessageContent() {
            @Override
            public InputStream open() throws IOException {
                return spool.openContent(id);
            }

            @Override
            public Path file() throws IOException {
                spool.materialize(id);
                return spool.messageFile(id);
            }

            @Override
            public long size() {
                QueuedMessage m = messages.get(id);
                if (m != null && m.envelope().size() > 0) {
                    return m.envelope().size();
                }
                try {
                    return Files.size(file());
                } catch (IOException e) {
                    return 0;
                }
            }
        };
    }

    @Override
    public List<QueuedMessage> messages() {
        List<QueuedMessage> all = new ArrayList<>(messages.values());
        all.sort(Comparator.comparing(QueuedMessage::id));
        return all;
    }

    /** Messages found at start-up that could not be loaded (see {@link SetAside}). */
    public List<SetAside> setAside() {
        synchronized (setAside) {
            return List.copyOf(setAside);
        }
    }

    @Override
    public boolean setAside(String id) {
        synchronized (setAside) {
            return setAside.stream().anyMatch(s -> s.id().equals(id));
        }
    }

    @Override
    public CompletableFuture<Void> deleteSetAside(String id) {
        if (!setAside(id)) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(id + " is not set aside"));
        }
        return spool.remove(id).thenRun(() -> {
            synchronized (setAside) {
                setAside.removeIf(s -> s.id().equals(id));
            }
        });
    }

    @Override
    public QueuedMessage get(String id) {
        return messages.get(id);
    }

    @Override
    public void close() {
        spool.close();
    }
}
