package dev.posthorn.server;

import dev.posthorn.queue.MessageState;
import dev.posthorn.queue.QueueStore;
import dev.posthorn.queue.QueuedMessage;
import dev.posthorn.queue.RecipientState;
import dev.posthorn.queue.RecipientStatus;
import dev.posthorn.spool.Spool;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The queue's and the spool's figures as gauges: messages by state, the age of the oldest, and the journal's
 * syncs and records (their ratio is the group commit's size). The queue is counted once per scrape, however many
 * gauges read it: one pass over the messages, each under its own lock as the scheduler takes it.
 */
public final class QueueGauges {

    /** What a queued message is doing, as {@code posthorn queue list} groups it. */
    public enum State {
        /** The operator held it. */
        HELD,
        /** A recipient is being attempted now. */
        ACTIVE,
        /** A recipient failed temporarily and waits for its next attempt. */
        DEFERRED,
        /** Waiting for its first attempt. */
        QUEUED
    }

    private record Sample(long takenAt, Map<State, Integer> counts, double oldestSeconds) {
    }

    /** Gauges of one scrape are read within this time of each other: one count serves them all. */
    private static final long SAMPLE_NANOS = Duration.ofMillis(500).toNanos();

    private final QueueStore queue;
    private final Clock clock;
    private Sample sample;

    private QueueGauges(QueueStore queue, Clock clock) {
        this.queue = queue;
        this.clock = clock;
    }

    /** Gauges hold their objects weakly unless told otherwise: nothing else keeps this one (strongReference). */
    static void register(MeterRegistry registry, QueueStore queue, Spool spool, Clock clock) {
        QueueGauges gauges = new QueueGauges(queue, clock);
        for (State state : State.values()) {
            Gauge.builder("posthorn.queue.messages", gauges, g -> g.sample().counts.get(state))
                    .description("messages in the queue by state").tag("state", state.name().toLowerCase(Locale.ROOT))
                    .strongReference(true).register(registry);
        }
        Gauge.builder("posthorn.queue.oldest.age", gauges, g -> g.sample().oldestSeconds).baseUnit("seconds")
                .description("age of the oldest message in the queue (0 when empty)").strongReference(true)
                .register(registry);
        FunctionCounter.builder("posthorn.spool.journal.syncs", spool, Spool::journalSyncs)
                .description("journal group syncs (one fdatasync each)").register(registry);
        FunctionCounter.builder("posthorn.spool.journal.records", spool, Spool::journalRecordsSynced)
                .description("journal records made durable by those syncs").register(registry);
    }

    private synchronized Sample sample() {
        long now = System.nanoTime();
        if (sample == null || now - sample.takenAt > SAMPLE_NANOS) {
            sample = count(now);
        }
        return sample;
    }

    private Sample count(long takenAt) {
        Map<State, Integer> counts = new EnumMap<>(State.class);
        for (State state : State.values()) {
            counts.put(state, 0);
        }
        Instant oldest = null;
        List<QueuedMessage> messages = queue.messages();
        for (QueuedMessage m : messages) {
            State state;
            synchronized (m) {
                state = stateOf(m.state());
            }
            counts.merge(state, 1, Integer::sum);
            Instant received = m.envelope().receivedAt();
            if (oldest == null || received.isBefore(oldest)) {
                oldest = received;
            }
        }
        double age = oldest == null ? 0 : Math.max(0, Duration.between(oldest, clock.instant()).toMillis() / 1000.0);
        return new Sample(takenAt, counts, age);
    }

    public static State stateOf(MessageState state) {
        if (state.held) {
            return State.HELD;
        }
        boolean deferred = false;
        for (RecipientState r : state.recipients) {
            if (r.status == RecipientStatus.IN_FLIGHT) {
                return State.ACTIVE;
            }
            deferred |= r.status == RecipientStatus.DEFERRED;
        }
        return deferred ? State.DEFERRED : State.QUEUED;
    }
}
