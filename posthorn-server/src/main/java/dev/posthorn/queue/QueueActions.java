package dev.posthorn.queue;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's bulk actions, {@code posthorn queue retry|delete|hold|release}: the same code whether a running
 * server carries them out (asked through {@link QueueControl}) or the command on a stopped queue. Every change
 * is durable before the answer: a hold or a release is a saved state, a delete a tombstone (then the files go).
 */
public final class QueueActions {

    private static final Logger LOG = LoggerFactory.getLogger(QueueActions.class);

    public enum Verb { RETRY, DELETE, HOLD, RELEASE }

    public record Request(Verb verb, QueueSelector selector, boolean dryRun) {
    }

    /**
     * The ids acted on (or, for a dry run, that would be), and ids asked for that are not in the queue;
     * {@code setAside}: those of {@code ids} that were set-aside messages (unreadable: their files were removed).
     */
    public record Result(List<String> ids, List<String> unknown, List<String> setAside) {

        public Result {
            setAside = setAside == null ? List.of() : List.copyOf(setAside);
        }
    }

    private QueueActions() {
    }

    public static Result apply(QueueStore store, Request request, Clock clock) {
        Instant now = clock.instant();
        List<String> affected = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        List<String> setAside = new ArrayList<>();
        for (String id : request.selector().ids()) {
            if (store.get(id) != null) {
                continue;
            }
            if (request.verb() == Verb.DELETE && store.setAside(id)) {
                // Set aside (unreadable): never loaded, so not among the messages below; deleting it by its id is
                // how an operator gets rid of it. Only by id: a filter cannot read what it would match.
                setAside.add(id);
            } else {
                unknown.add(id);
            }
        }
        for (String id : setAside) {
            if (!request.dryRun()) {
                String error = await(store.deleteSetAside(id));
                if (error != null) {
                    throw new IllegalStateException("the queue could not delete the set-aside message " + id + ": "
                            + error + "; nothing else was changed, the command may be repeated");
                }
                LOG.info("queue id={} (set aside, unreadable) deleted by the operator: its files are removed", id);
            }
            affected.add(id);
        }
        List<Change> changes = new ArrayList<>();
        for (QueuedMessage message : store.messages()) {
            if (!request.selector().matches(message.envelope(), now)) {
                continue;
            }
            Change change;
            synchronized (message) {
                if (!applies(request.verb(), message)) {
                    continue;
                }
                affected.add(message.id());
                if (request.dryRun()) {
                    continue;
                }
                change = change(store, request.verb(), message, now);
            }
            if (request.verb() == Verb.RETRY || request.verb() == Verb.RELEASE) {
                store.reschedule(message);
            }
            changes.add(change);
        }
        List<String> failed = new ArrayList<>();
        String why = null;
        for (Change change : changes) {
            String error = await(change.durable());
            if (error == null) {
                LOG.info("queue id={} {} by the operator", change.message().id(), past(request.verb()));
                continue;
            }
            failed.add(change.message().id());
            why = error;
            undo(store, change);
        }
        if (!failed.isEmpty()) {
            throw new IllegalStateException("the queue could not record the change of " + failed.size() + " of "
                    + changes.size() + " message(s) (" + String.join(", ", failed) + "): " + why
                    + (request.verb() == Verb.DELETE ? "; they are not attempted again, the server retries the delete, "
                    + "and the command may be repeated" : "; nothing changed for them, the command may be repeated"));
        }
        return new Result(affected, unknown, setAside);
    }

    /** One message changed, the future of its record, and what it was before (to undo a hold or a release). */
    private record Change(QueuedMessage message, CompletableFuture<Void> durable, Verb verb, boolean heldBefore) {
    }

    /**
     * Whether the verb changes anything for this message. A message whose operator delete could not be recorded
     * (finishing, its tombstone failed) is deleted again: the repeated command acts, it does not say "0".
     */
    private static boolean applies(Verb verb, QueuedMessage message) {
        MessageState s = message.state();
        if (message.finishing) {
            return verb == Verb.DELETE && message.dirty
                    && s.recipients.stream().anyMatch(r -> r.status == RecipientStatus.DELETED);
        }
        return switch (verb) {
            // A held message is not retried: it waits for its release (counting it would say it was tried).
            case RETRY -> !s.held && s.recipients.stream().anyMatch(r -> r.status.waiting());
            case HOLD -> !s.held;
            case RELEASE -> s.held;
            case DELETE -> true;
        };
    }

    private static Change change(QueueStore store, Verb verb, QueuedMessage message, Instant now) {
        MessageState s = message.state();
        boolean heldBefore = s.held;
        switch (verb) {
            case RETRY -> s.recipients.stream().filter(r -> r.status.waiting()).forEach(r -> r.nextAttempt = now);
            case HOLD -> s.held = true;
            case RELEASE -> s.held = false;
            case DELETE -> {
                for (RecipientState r : s.recipients) {
                    if (!r.status.done()) {
                        r.status = RecipientStatus.DELETED;
                        r.nextAttempt = null;
                    }
                }
                message.dirty = false;
                return new Change(message, finish(store, message), verb, heldBefore);
            }
        }
        return new Change(message, save(store, message), verb, heldBefore);
    }

    private static CompletableFuture<Void> finish(QueueStore store, QueuedMessage message) {
        try {
            return store.finish(message);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private static CompletableFuture<Void> save(QueueStore store, QueuedMessage message) {
        try {
            return store.save(message);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * A change whose record failed. A delete stays a delete (the message is never attempted again; part of it may
     * already be gone from memory): marked dirty, so the sweep writes its tombstone, and a repeated delete acts.
     * A hold or a release is put back as it was, so what the server does matches what the operator was told;
     * marked dirty so the state on disk is rewritten from memory. A retry's earlier attempt time stays (it only
     * makes the next attempt sooner); marked dirty likewise.
     */
    private static void undo(QueueStore store, Change change) {
        QueuedMessage message = change.message();
        synchronized (message) {
            if (change.verb() == Verb.HOLD || change.verb() == Verb.RELEASE) {
                boolean after = change.verb() == Verb.HOLD;
                if (message.state().held == after) {
                    message.state().held = change.heldBefore();
                }
            }
            message.dirty = true;
        }
        if (change.verb() == Verb.HOLD) {
            store.reschedule(message); // due again as before the hold
        }
    }

    /** Null when the change is durable, else why not. */
    private static String await(CompletableFuture<Void> future) {
        try {
            future.get(30, TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            return String.valueOf(e.getCause());
        } catch (TimeoutException e) {
            return "no answer from the journal within 30 s";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    static String past(Verb verb) {
        return switch (verb) {
            case RETRY -> "retried";
            case DELETE -> "deleted";
            case HOLD -> "held";
            case RELEASE -> "released";
        };
    }

    public static String verbName(Verb verb) {
        return verb.name().toLowerCase(Locale.ROOT);
    }
}
