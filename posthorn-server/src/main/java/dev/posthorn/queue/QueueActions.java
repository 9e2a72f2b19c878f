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

    /** The ids acted on (or, for a dry run, that would be), and ids asked for that are not in the queue. */
    public record Result(List<String> ids, List<String> unknown) {
    }

    private QueueActions() {
    }

    public static Result apply(QueueStore store, Request request, Clock clock) {
        Instant now = clock.instant();
        List<String> affected = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        for (String id : request.selector().ids()) {
            if (store.get(id) == null) {
                unknown.add(id);
            }
        }
        List<CompletableFuture<Void>> durable = new ArrayList<>();
        for (QueuedMessage message : store.messages()) {
            if (!request.selector().matches(message.envelope(), now)) {
                continue;
            }
            CompletableFuture<Void> done;
            synchronized (message) {
                if (message.finishing || !applies(request.verb(), message)) {
                    continue;
                }
                affected.add(message.id());
                if (request.dryRun()) {
                    continue;
                }
                done = change(store, request.verb(), message, now);
            }
            if (request.verb() == Verb.RETRY || request.verb() == Verb.RELEASE) {
                store.reschedule(message);
            }
            LOG.info("queue id={} {} by the operator", message.id(), past(request.verb()));
            durable.add(done);
        }
        for (CompletableFuture<Void> f : durable) {
            await(f);
        }
        return new Result(affected, unknown);
    }

    /** Whether the verb changes anything for this message. */
    private static boolean applies(Verb verb, QueuedMessage message) {
        MessageState s = message.state();
        return switch (verb) {
            case RETRY -> s.recipients.stream().anyMatch(r -> r.status.waiting());
            case HOLD -> !s.held;
            case RELEASE -> s.held;
            case DELETE -> true;
        };
    }

    private static CompletableFuture<Void> change(QueueStore store, Verb verb, QueuedMessage message, Instant now) {
        MessageState s = message.state();
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
                return store.finish(message);
            }
        }
        return store.save(message);
    }

    private static void await(CompletableFuture<Void> future) {
        try {
            future.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("the queue could not record the change: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
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
