package dev.posthorn.queue;

import dev.posthorn.delivery.QueueConfig;
import dev.posthorn.delivery.ReplyExplainer;
import dev.posthorn.delivery.RetrySchedule;
import dev.posthorn.delivery.dsn.DsnBuilder;
import dev.posthorn.delivery.remote.Outcome;
import dev.posthorn.delivery.remote.RemoteReply;
import dev.posthorn.delivery.target.Delivery;
import dev.posthorn.delivery.target.DeliveryTarget;
import dev.posthorn.delivery.target.DeliveryTargets;
import dev.posthorn.delivery.target.Destination;
import dev.posthorn.delivery.target.TargetMessage;
import dev.posthorn.delivery.target.TargetRecipient;
import dev.posthorn.metrics.MailMetrics;
import dev.posthorn.spool.Envelope;
import dev.posthorn.spool.EnvelopeRecipient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * The one scheduler, for every recipient and every transport. A dispatcher thread claims the messages that fall
 * due from the {@link QueueStore}, groups their due recipients by {@link Destination} and hands each group to
 * that destination's {@link Lane}; a lane's worker runs the transaction on its {@link DeliveryTarget} and the
 * outcomes come back here, where retries, back-off, delay notices, give-up and bounces are decided the same way
 * for a Maildir, an LMTP server and a remote SMTP server, and the new state is saved (durably) before anything
 * that could repeat a delivery forgets it.
 *
 * <p>The periodic sweep repairs, it never delivers: it saves states whose save failed, finishes messages whose
 * tombstone failed and queues notices that could not be queued at their attempt. What to attempt, and when, is decided by the store's due index alone.
 */
public final class Scheduler implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Scheduler.class);
    /**
     * Claimed per round; the dispatcher comes back at once while the store has more due. Small, so that one node
     * of a cluster does not lease the whole backlog in one claim while the others idle.
     */
    private static final int CLAIM_BATCH = 100;
    /**
     * In a burst ({@link AcceptanceFirst#pressed()}), how long the dispatcher lets accepted messages gather before
     * its next round: one round a gather instead of one per message, so that sessions stop waking it (a thread
     * switch each, the costliest thing a message does on a virtual machine's CPUs) while they need the CPU most.
     * Local delivery holds its jobs then anyway; a remote or LMTP attempt starts up to this much later.
     */
    static final Duration GATHER = Duration.ofMillis(20);

    private final QueueStore store;
    private final DeliveryTargets targets;
    private final RetrySchedule schedule;
    private final Notices notices;
    private final ReplyExplainer explainer;
    private final Clock clock;
    private final MailMetrics metrics;
    private final Duration sweepInterval;
    private final Semaphore connections;
    private final Map<String, Lane> lanes = new HashMap<>();
    /** Shared by the local (Maildir) lanes: a burst is judged by every message entering the queue. */
    private final AcceptanceFirst acceptanceFirst;
    /**
     * Runs what follows a record reaching the journal (log lines, the retry flag). Its thread is started here,
     * at the server's priority: a pool thread started lazily from a local delivery worker would inherit that
     * worker's nice 10 ({@link LowPriority}; Linux threads inherit their creator's nice value).
     */
    private final ThreadPoolExecutor recorded = recordedExecutor();
    /** "id address" of every recipient being attempted now, for {@code posthorn queue list}. */
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    private final Object signal = new Object();
    private boolean woken;
    private volatile boolean running;
    private Thread dispatcher;
    private final AtomicLong sweeps = new AtomicLong();
    private final AtomicLong rounds = new AtomicLong();

    public Scheduler(QueueStore store, DeliveryTargets targets, QueueConfig config, DsnBuilder dsn, String hostname,
                     Notices.Submitter submitter, ReplyExplainer explainer, Clock clock) {
        this(store, targets, config, dsn, hostname, submitter, explainer, clock, MailMetrics.NONE);
    }

    /** @param metrics counts every attempt by transport and result, and the delay to each stage */
    public Scheduler(QueueStore store, DeliveryTargets targets, QueueConfig config, DsnBuilder dsn, String hostname,
                     Notices.Submitter submitter, ReplyExplainer explainer, Clock clock, MailMetrics metrics) {
        this(store, targets, config, dsn, hostname, submitter, explainer, clock, metrics,
                new AcceptanceFirst(targets.localHold()));
    }

    /** @param acceptanceFirst judges bursts for the local lanes and the dispatcher (tests give one that knows the CPU) */
    Scheduler(QueueStore store, DeliveryTargets targets, QueueConfig config, DsnBuilder dsn, String hostname,
              Notices.Submitter submitter, ReplyExplainer explainer, Clock clock, MailMetrics metrics,
              AcceptanceFirst acceptanceFirst) {
        this.metrics = metrics;
        this.store = store;
        this.targets = targets;
        this.schedule = RetrySchedule.from(config);
        this.notices = new Notices(dsn, hostname, submitter);
        this.explainer = explainer;
        this.clock = clock;
        this.sweepInterval = Duration.ofMillis(Math.max(100, (long) (config.sweepIntervalSeconds * 1000)));
        this.connections = new Semaphore(Math.max(1, config.maxConcurrentConnections));
        this.acceptanceFirst = acceptanceFirst;
    }

    public void start() {
        running = true;
        store.onDue(this::wake);
        dispatcher = Thread.ofPlatform().daemon().name("queue-dispatch").start(this::dispatchLoop);
    }

    /** Called after the {@code 250}: the message is durable, its recipients are due now. */
    public void accepted(Envelope envelope) {
        acceptanceFirst.arrived();
        store.add(envelope);
    }

    /** How many sweeps ran (for tests that check a sweep does not send anything again). */
    public long sweeps() {
        return sweeps.get();
    }

    /** How many dispatch rounds claimed something (for tests of the gather in a burst). */
    long rounds() {
        return rounds.get();
    }

    /** "id address" of the recipients being attempted right now. */
    public Set<String> inFlight() {
        return Collections.unmodifiableSet(inFlight);
    }

    private void wake() {
        synchronized (signal) {
            woken = true;
            signal.notifyAll();
        }
    }

    private void dispatchLoop() {
        Instant nextSweep = clock.instant().plus(sweepInterval);
        while (running) {
            try {
                Instant now = clock.instant();
                List<QueuedMessage> claimed = store.claimDue(now, CLAIM_BATCH);
                if (!claimed.isEmpty()) {
                    rounds.incrementAndGet();
                }
                dispatchAll(claimed, now);
                if (!claimed.isEmpty() && claimed.size() < CLAIM_BATCH && acceptanceFirst.pressed()) {
                    Thread.sleep(GATHER); // wakes meanwhile find no one waiting: they cost the sessions nothing
                }
                if (!now.isBefore(nextSweep)) {
                    sweep();
                    nextSweep = clock.instant().plus(sweepInterval);
                }
                Instant due = store.nextDue();
                Instant wakeAt = due != null && due.isBefore(nextSweep) ? due : nextSweep;
                awaitSignal(Duration.between(clock.instant(), wakeAt));
            } catch (InterruptedException e) {
                return;
            } catch (Throwable e) {
                // An Error too: a dead dispatcher would stop all delivery while the server still answers 250.
                LOG.error("queue dispatch failed; going on in a second", e);
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException stop) {
                    return;
                }
            }
        }
    }

    private void awaitSignal(Duration wait) throws InterruptedException {
        synchronized (signal) {
            if (!woken && !wait.isNegative() && !wait.isZero()) {
                signal.wait(Math.max(1, wait.toMillis()));
            }
            woken = false;
        }
    }

    /**
     * Dispatches a claimed batch. When one dispatch throws (a bug, a thread that cannot start), the claims not
     * dispatched yet end here: else those messages would stay claimed, never attempted, until a restart.
     */
    private void dispatchAll(List<QueuedMessage> claimed, Instant now) {
        int dispatched = 0;
        try {
            for (QueuedMessage message : claimed) {
                dispatched++; // the failing one gives itself back (dispatch's finally)
                dispatch(message, now);
            }
        } finally {
            for (int i = dispatched; i < claimed.size(); i++) {
                store.release(claimed.get(i));
            }
        }
    }

    /** Tests only: runs in {@link #dispatch} after the recipients are marked in flight, before the lanes get them. */
    static volatile Consumer<QueuedMessage> dispatchFault;

    /** Marks the message's due recipients in flight and hands them, grouped by destination, to the lanes. */
    private void dispatch(QueuedMessage message, Instant now) {
        Map<String, Destination> destinations = new LinkedHashMap<>();
        Map<String, List<Integer>> groups = new LinkedHashMap<>();
        Set<String> handed = new HashSet<>();
        boolean counted = false;
        boolean done = false;
        try {
            synchronized (message) {
                for (RecipientState r : message.state().recipients) {
                    if (r.status.waiting() && r.nextAttempt != null && !r.nextAttempt.isAfter(now)) {
                        Destination d = targets.destinationOf(r.address, r.local);
                        destinations.putIfAbsent(d.key(), d);
                        groups.computeIfAbsent(d.key(), k -> new ArrayList<>()).add(r.index);
                        r.status = RecipientStatus.IN_FLIGHT;
                        r.destination = d.key();
                        inFlight.add(inFlightKey(message.id(), r.address));
                    }
                }
                message.pendingJobs = groups.size();
                counted = true;
                if (groups.isEmpty()) {
                    done = true;
                    store.release(message);
                    return;
                }
            }
            Consumer<QueuedMessage> fault = dispatchFault;
            if (fault != null) {
                fault.accept(message);
            }
            synchronized (lanes) {
                for (Map.Entry<String, List<Integer>> group : groups.entrySet()) {
                    Destination d = destinations.get(group.getKey());
                    boolean local = DeliveryTargets.filesystem(d);
                    lanes.computeIfAbsent(d.key(), k -> new Lane(d, targets::open, this::attempt, this::giveBack,
                            this::workerFailed, d instanceof Destination.Remote ? connections : null,
                            local, targets.batchLimit(d), local ? acceptanceFirst : null))
                            .add(new Lane.Job(message, group.getValue()));
                    handed.add(group.getKey());
                }
            }
            done = true;
        } finally {
            if (!done) {
                undispatched(message, groups, handed, counted);
            }
        }
    }

    /**
     * A dispatch that threw: the recipients it marked in flight but handed to no lane wait again (else they stay in
     * flight, never attempted, until a restart), and the claim ends once no handed job is left.
     */
    private void undispatched(QueuedMessage message, Map<String, List<Integer>> groups, Set<String> handed,
                              boolean counted) {
        boolean release;
        synchronized (message) {
            int notHanded = 0;
            for (Map.Entry<String, List<Integer>> group : groups.entrySet()) {
                if (handed.contains(group.getKey())) {
                    continue;
                }
                notHanded++;
                for (int index : group.getValue()) {
                    RecipientState r = message.state().byIndex(index);
                    if (r.status == RecipientStatus.IN_FLIGHT) {
                        r.status = r.attempts.isEmpty() ? RecipientStatus.QUEUED : RecipientStatus.DEFERRED;
                    }
                    inFlight.remove(inFlightKey(message.id(), r.address));
                }
            }
            if (counted) {
                message.pendingJobs -= notHanded;
            }
            release = message.pendingJobs <= 0 && !message.finishing;
        }
        if (release) {
            store.release(message);
        }
    }

    /**
     * A worker's batch of transactions on its target, then one {@link DeliveryTarget#flush} that makes them
     * durable together, then their outcomes recorded: a "delivered" is never recorded before the flush that makes
     * it true (a crash in between repeats the delivery, which a Maildir recognises). After the flush each
     * transaction settles its own outcomes ({@link Delivery#settled}): a copy that could not be made durable
     * defers its recipients only. A flush that throws (a bug) defers every recipient the batch would have
     * delivered. Every failure, an {@link Error} included, becomes an
     * outcome, so the state always moves on and no recipient stays in flight while the process lives.
     */
    private void attempt(List<Lane.Job> jobs, DeliveryTarget target) {
        List<Lane.Job> ran = new ArrayList<>(jobs.size());
        List<List<Outcome>> results = new ArrayList<>(jobs.size());
        List<Delivery> deliveries = new ArrayList<>(jobs.size());
        VirtualMachineError fatal = null;
        int next = 0;
        while (next < jobs.size() && fatal == null) {
            Lane.Job job = jobs.get(next++);
            VirtualMachineError[] thrown = {null};
            Delivery[] committed = {null};
            List<Outcome> outcomes = run(job, target, thrown, committed);
            fatal = thrown[0];
            if (outcomes != null) {
                ran.add(job);
                results.add(outcomes);
                deliveries.add(committed[0]);
            }
        }
        for (Lane.Job left : jobs.subList(next, jobs.size())) {
            giveBack(left); // not attempted: the worker is not fit to go on
        }
        try {
            target.flush();
            for (int i = 0; i < results.size(); i++) {
                if (deliveries.get(i) != null) {
                    results.set(i, deliveries.get(i).settled(results.get(i))); // copy by copy
                }
            }
        } catch (Throwable ex) {
            LOG.error("a delivery batch of {} messages could not be made durable; its deliveries are deferred",
                    ran.size(), ex);
            for (int i = 0; i < results.size(); i++) {
                results.set(i, undelivered(results.get(i), ex));
            }
            if (ex instanceof VirtualMachineError vm && fatal == null) {
                fatal = vm;
            }
        }
        for (int i = 0; i < ran.size(); i++) {
            record(ran.get(i), results.get(i));
        }
        if (fatal != null) {
            throw fatal; // recorded; the worker may not be fit to go on (its lane hands the rest back)
        }
    }

    /** The outcomes of a batch whose flush failed: what was to be delivered is deferred, the rest stands. */
    private static List<Outcome> undelivered(List<Outcome> outcomes, Throwable cause) {
        List<Outcome> out = new ArrayList<>(outcomes.size());
        Outcome deferred = deferred(1, cause).get(0);
        for (Outcome o : outcomes) {
            out.add(o.kind() == Outcome.Kind.DELIVERED ? deferred : o);
        }
        return out;
    }

    /**
     * One transaction on a worker's target, not yet flushed: its outcomes, or null when it was not attempted (the
     * message was deleted or held while it waited). An {@link Error} that means the worker is unfit is handed back
     * in {@code fatal}, after the transaction was turned into deferred outcomes; a committed transaction is
     * handed back in {@code committed} (its outcomes are settled after the flush).
     */
    private List<Outcome> run(Lane.Job job, DeliveryTarget target, VirtualMachineError[] fatal,
                              Delivery[] committed) {
        QueuedMessage message = job.message();
        Envelope e = message.envelope();
        List<TargetRecipient> recipients = new ArrayList<>();
        boolean redelivery;
        String destination;
        if (!message.finishing) {
            store.recheck(message); // held or deleted through another node's console or CLI meanwhile
        }
        synchronized (message) {
            if (message.finishing) {
                message.pendingJobs--;
                job.recipients().forEach(i -> inFlight.remove(inFlightKey(e.id(), e.recipients().get(i).address())));
                return null; // deleted by the operator before its turn
            }
            if (message.state().held || message.leaseLost) {
                // Held by the operator while it waited in the lane: "never attempted until released". Or its lease
                // in a shared store could not be renewed in time: another node may be delivering it now.
                giveBack(job);
                return null;
            }
            redelivery = message.recovered;
            destination = message.state().byIndex(job.recipients().get(0)).destination;
            for (int index : job.recipients()) {
                redelivery |= !message.state().byIndex(index).attempts.isEmpty();
                EnvelopeRecipient r = e.recipients().get(index);
                recipients.add(new TargetRecipient(r.address(), index, r.notifyOn() == null ? Set.of() : r.notifyOn(),
                        r.orcpt()));
            }
        }
        // Logged before anything is sent: with the "recorded" line below it bounds what a crash can repeat. A
        // repeated Maildir copy is recognised (its file name is the queue id and recipient index, found again in
        // new/ or cur/), so for local mailboxes the line is debug only: one log line less per message (issue 15).
        Level attemptLevel = Destination.Mailbox.KEY.equals(destination) ? Level.DEBUG : Level.INFO;
        for (TargetRecipient r : recipients) {
            LOG.atLevel(attemptLevel).log("attempt id={} to=<{}> via={} status=in-flight", e.id(), r.address(),
                    destination);
        }
        TargetMessage m = new TargetMessage(e.id(), e.receivedAt(), e.hasNullSender() ? "" : e.sender(),
                "8BITMIME".equalsIgnoreCase(e.body()), e.smtputf8(), e.ret(), e.envid(), redelivery);
        List<Outcome> outcomes;
        Delivery delivery = null;
        try {
            delivery = target.start(m);
            recipients.forEach(delivery::addRecipient);
            delivery.body(store.content(e.id()));
            outcomes = delivery.commit();
            if (outcomes.size() != recipients.size()) {
                throw new IllegalStateException(outcomes.size() + " outcomes for " + recipients.size() + " recipients");
            }
            committed[0] = delivery;
        } catch (Throwable ex) {
            // An Error too (a signer's class that fails to initialise): the recipients are deferred, not stranded.
            LOG.error("queue id={} delivery attempt via {} failed", e.id(), destination, ex);
            if (delivery != null) {
                try {
                    delivery.abort();
                } catch (Throwable abort) {
                    ex.addSuppressed(abort);
                }
            }
            outcomes = deferred(recipients.size(), ex);
            fatal[0] = ex instanceof VirtualMachineError vm ? vm : null;
        }
        return outcomes;
    }

    private static List<Outcome> deferred(int count, Throwable cause) {
        return Collections.nCopies(count, new Outcome(Outcome.Kind.DEFERRED,
                RemoteReply.local(451, "4.3.0", "Local error in delivery: " + cause), null));
    }

    /** A line for the log once the outcome is durable. */
    private record Logged(String address, String host, String result, String reply, Instant next) {
    }

    /**
     * Applies the outcomes to the recipients' states, queues the notices they call for (before the state: a
     * crash in between sends a notice twice rather than never), then saves the state, or finishes the message
     * when every recipient is final and every notice queued. Whatever goes wrong here, the claim ends and the
     * recipients leave the in-flight state ({@link #unstick}).
     */
    private void record(Lane.Job job, List<Outcome> outcomes) {
        QueuedMessage message = job.message();
        boolean[] counted = {false};
        try {
            recordOutcomes(job, outcomes, counted);
        } catch (Throwable t) {
            LOG.error("queue id={} recording an attempt failed; its recipients are deferred", message.id(), t);
            unstick(job, counted[0]);
            if (t instanceof VirtualMachineError vm) {
                throw vm;
            }
        }
    }

    /** {@code counted[0]} becomes true once the job is no longer counted in {@code pendingJobs}. */
    private void recordOutcomes(Lane.Job job, List<Outcome> outcomes, boolean[] counted) {
        QueuedMessage message = job.message();
        Envelope e = message.envelope();
        Instant now = clock.instant();
        List<Logged> logged = new ArrayList<>();
        synchronized (message) {
            if (message.finishing) {
                message.pendingJobs--;
                counted[0] = true;
                for (int i = 0; i < outcomes.size(); i++) {
                    String address = e.recipients().get(job.recipients().get(i)).address();
                    inFlight.remove(inFlightKey(e.id(), address));
                    LOG.info("delivery id={} to=<{}> status=deleted (the operator deleted the message during the attempt; "
                            + "it ended with \"{}\")", e.id(), address, outcomes.get(i).reply().oneLine());
                }
                return;
            }
            for (int i = 0; i < outcomes.size(); i++) {
                RecipientState r = message.state().byIndex(job.recipients().get(i));
                logged.add(apply(e, r, e.recipients().get(r.index), outcomes.get(i), now));
            }
        }
        // Outside the message's lock: queueing a notice waits on the journal, and the journal's writer must never
        // wait for a message's lock (it would stall every session's commit).
        sendNotices(message, job.recipients(), now);
        CompletableFuture<Void> durable;
        boolean release = false;
        synchronized (message) {
            message.pendingJobs--;
            counted[0] = true;
            if (message.finishing) {
                logged.forEach(l -> inFlight.remove(inFlightKey(e.id(), l.address())));
                return; // deleted by the operator meanwhile: its tombstone ends it
            }
            if (message.state().allDone() && !message.state().noticePending() && message.pendingJobs == 0) {
                durable = persist(() -> store.finish(message));
            } else {
                durable = persist(() -> store.save(message));
                release = message.pendingJobs == 0;
            }
        }
        if (release) {
            store.release(message);
        }
        // Async: the journal's writer completes the future and must not run code that takes a message's lock.
        durable.whenCompleteAsync((ok, error) -> {
            for (Logged l : logged) {
                inFlight.remove(inFlightKey(e.id(), l.address()));
                if (error == null) {
                    LOG.info("delivery id={} to=<{}> relay={} status={} reply=\"{}\"{} recorded", e.id(), l.address(),
                            l.host() == null ? "none" : l.host(), l.result(), l.reply(),
                            l.next() != null ? " next=" + l.next() : "");
                } else {
                    LOG.error("delivery id={} to=<{}> status={} NOT RECORDED: {}; the sweep tries again, a crash before "
                            + "it succeeds repeats the attempt", e.id(), l.address(), l.result(), error.toString());
                }
            }
            if (error != null) {
                synchronized (message) {
                    message.dirty = true;
                }
            }
        }, recorded);
    }

    /** A store call that throws (a state too large to encode, say) is a failed save: the sweep tries again. */
    private static CompletableFuture<Void> persist(java.util.function.Supplier<CompletableFuture<Void>> call) {
        try {
            return call.get();
        } catch (RuntimeException ex) {
            return CompletableFuture.failedFuture(ex);
        }
    }

    /**
     * Queues the notices pending for these recipients, one per kind, outside the message's lock, and clears the
     * flag of those that went. The report is rebuilt from each recipient's last attempt, so the sweep (and a
     * restart) can send it later just the same.
     *
     * @return whether any notice was queued (the state changed)
     */
    private boolean sendNotices(QueuedMessage message, List<Integer> indices, Instant now) {
        Envelope e = message.envelope();
        Map<DsnBuilder.Kind, List<Integer>> who = new LinkedHashMap<>();
        Map<DsnBuilder.Kind, List<DsnBuilder.RecipientReport>> reports = new LinkedHashMap<>();
        synchronized (message) {
            for (int index : indices) {
                RecipientState r = message.state().byIndex(index);
                if (r == null || r.noticePending == null || r.lastAttempt() == null) {
                    continue;
                }
                who.computeIfAbsent(r.noticePending, k -> new ArrayList<>()).add(index);
                reports.computeIfAbsent(r.noticePending, k -> new ArrayList<>()).add(report(e, r, r.noticePending));
            }
        }
        boolean sent = false;
        Notices.Original original = () -> store.content(e.id()).file();
        for (Map.Entry<DsnBuilder.Kind, List<Integer>> kind : who.entrySet()) {
            if (!notices.send(kind.getKey(), e, reports.get(kind.getKey()), original, now)) {
                continue;
            }
            sent = true;
            synchronized (message) {
                for (int index : kind.getValue()) {
                    RecipientState r = message.state().byIndex(index);
                    if (r.noticePending == kind.getKey()) {
                        r.noticePending = null;
                    }
                }
            }
        }
        return sent;
    }

    private Logged apply(Envelope e, RecipientState r, EnvelopeRecipient rcpt, Outcome o, Instant now) {
        RemoteReply reply = o.reply();
        Set<String> notify = rcpt.notifyOn() == null ? Set.of() : rcpt.notifyOn();
        String result;
        switch (o.kind()) {
            case DELIVERED -> {
                r.status = RecipientStatus.DELIVERED;
                r.nextAttempt = null;
                result = "delivered";
                r.noticePending = null; // a delay notice not yet sent is moot now
                if (!r.local && notify.contains("SUCCESS") && !o.remoteDsn()) {
                    r.noticePending = DsnBuilder.Kind.RELAYED; // RFC 3461 §5.2.2.1: the next hop lacks DSN
                }
            }
            case FAILED -> {
                r.status = RecipientStatus.BOUNCED;
                r.nextAttempt = null;
                result = "bounced";
                r.noticePending = wantsFailureNotice(notify) ? DsnBuilder.Kind.FAILED : null;
            }
            default -> {
                Instant next = schedule.nextAttempt(e.receivedAt(), r.attemptsMade() + 1, now);
                if (next == null) {
                    r.status = RecipientStatus.EXPIRED;
                    r.nextAttempt = null;
                    result = "expired";
                    r.noticePending = wantsFailureNotice(notify) ? DsnBuilder.Kind.FAILED : null;
                } else {
                    r.status = RecipientStatus.DEFERRED;
                    r.nextAttempt = next;
                    result = "deferred";
                    if (!r.delayNoticeSent && schedule.delayNoticeDue(e.receivedAt(), now)) {
                        r.delayNoticeSent = true; // decided once; noticePending carries it until it is queued
                        if (notify.isEmpty() || notify.contains("DELAY")) {
                            r.noticePending = DsnBuilder.Kind.DELAYED;
                        }
                    }
                }
            }
        }
        String explanation = explainer.explain(reply, Locale.ENGLISH);
        metrics.deliveryAttempt(transportOf(r.destination), result, Duration.between(e.receivedAt(), now),
                r.attemptsMade() == 0);
        r.addAttempt(new Attempt(now, r.destination, o.remoteHost(), reply.code(), reply.enhanced(), reply.lines(),
                explanation, result, o.security() == null ? null : o.security().describe(), o.ownReply()));
        return new Logged(r.address, o.remoteHost(), result, reply.oneLine(), r.nextAttempt);
    }

    /** "maildir", "lmtp", "route", "mx", "relay": the destination's kind, a closed set (see {@link Attempt}). */
    private static String transportOf(String destination) {
        if (destination == null) {
            return "unknown";
        }
        int colon = destination.indexOf(':');
        return colon < 0 ? destination : destination.substring(0, colon);
    }

    private static boolean wantsFailureNotice(Set<String> notify) {
        return notify.isEmpty() || notify.contains("FAILURE");
    }

    /** The recipient's line in a notice, from its last attempt (under the message's lock). */
    private DsnBuilder.RecipientReport report(Envelope e, RecipientState r, DsnBuilder.Kind kind) {
        Attempt last = r.lastAttempt();
        EnvelopeRecipient rcpt = e.recipients().get(r.index);
        // Posthorn's own refusal of a host (a TLS policy) is not that host's answer: no Remote-MTA, no "smtp;" code.
        String mta = r.local || last.remoteHost() == null || last.ownReply() ? null : stripPort(last.remoteHost());
        RemoteReply reply = new RemoteReply(last.code(), last.enhanced(), last.reply());
        Instant until = kind == DsnBuilder.Kind.DELAYED ? schedule.giveUpAt(e.receivedAt()) : null;
        return new DsnBuilder.RecipientReport(rcpt.address(), rcpt.orcpt(), mta, reply, last.at(), until);
    }

    /**
     * A job that was not attempted (its lane stopped, or the operator held the message while it waited): its
     * recipients wait again as they did, their next attempt unchanged, no attempt counted.
     */
    private void giveBack(Lane.Job job) {
        QueuedMessage message = job.message();
        boolean release;
        synchronized (message) {
            for (int index : job.recipients()) {
                RecipientState r = message.state().byIndex(index);
                if (r.status == RecipientStatus.IN_FLIGHT) {
                    r.status = r.attempts.isEmpty() ? RecipientStatus.QUEUED : RecipientStatus.DEFERRED;
                }
                inFlight.remove(inFlightKey(message.id(), r.address));
            }
            message.pendingJobs--;
            release = message.pendingJobs == 0 && !message.finishing;
        }
        if (release) {
            store.release(message);
        }
    }

    /**
     * A job whose worker died before attempting it (its target could not be opened, the worker failed): a
     * deferred attempt like any other, so it backs off and reaches the give-up time instead of looping.
     */
    private void workerFailed(Lane.Job job, Throwable cause) {
        synchronized (job.message()) {
            if (job.message().state().held) {
                giveBack(job);
                return;
            }
        }
        record(job, deferred(job.recipients().size(), cause));
    }

    /**
     * Last resort when recording an attempt failed: its recipients that are still in flight wait again, at their
     * next retry time, and the message is saved by the sweep; the claim ends.
     */
    private void unstick(Lane.Job job, boolean counted) {
        QueuedMessage message = job.message();
        Instant now = clock.instant();
        boolean release;
        synchronized (message) {
            for (int index : job.recipients()) {
                RecipientState r = message.state().byIndex(index);
                if (r.status == RecipientStatus.IN_FLIGHT) {
                    Instant next = schedule.nextAttempt(message.envelope().receivedAt(), r.attemptsMade() + 1, now);
                    r.status = r.attempts.isEmpty() ? RecipientStatus.QUEUED : RecipientStatus.DEFERRED;
                    r.nextAttempt = next != null ? next : now.plus(sweepInterval);
                }
                inFlight.remove(inFlightKey(message.id(), r.address));
            }
            if (!counted) {
                message.pendingJobs--;
            }
            message.dirty = true;
            release = message.pendingJobs == 0 && !message.finishing;
        }
        if (release) {
            store.release(message);
        }
    }

    /**
     * Repairs, never delivers: saves states whose save failed, finishes messages whose tombstone failed, queues
     * the notices that could not be queued at their attempt (and then finishes a message that only waited for
     * them), and forgets lanes that have been idle. It runs on the dispatcher's thread, so no claim starts
     * meanwhile.
     */
    private void sweep() {
        sweeps.incrementAndGet();
        Instant now = clock.instant();
        for (QueuedMessage message : store.messages()) {
            List<Integer> pending;
            synchronized (message) {
                if (message.finishing || message.claimed) {
                    if (message.dirty && message.finishing) {
                        message.dirty = false;
                        retried(message, persist(() -> store.finish(message)));
                    }
                    continue; // a claimed message's attempt is still running; its record saves it
                }
                if (!message.state().noticePending()) {
                    if (message.dirty) {
                        message.dirty = false;
                        retried(message, persist(() -> store.save(message)));
                    }
                    continue;
                }
                pending = message.state().recipients.stream().filter(r -> r.noticePending != null)
                        .map(r -> r.index).toList();
            }
            boolean sent = sendNotices(message, pending, now);
            synchronized (message) {
                if (message.finishing || message.claimed) {
                    continue;
                }
                if (message.state().allDone() && !message.state().noticePending()) {
                    message.dirty = false;
                    retried(message, persist(() -> store.finish(message)));
                } else if (sent || message.dirty) {
                    message.dirty = false;
                    retried(message, persist(() -> store.save(message)));
                }
            }
        }
        synchronized (lanes) {
            lanes.values().removeIf(Lane::idle);
        }
    }

    private static ThreadPoolExecutor recordedExecutor() {
        ThreadPoolExecutor executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(), Thread.ofPlatform().daemon().name("queue-recorded").factory());
        executor.prestartAllCoreThreads();
        return executor;
    }

    private void retried(QueuedMessage message, CompletableFuture<Void> retry) {
        retry.whenCompleteAsync((ok, error) -> {
            if (error != null) {
                LOG.error("queue id={} still cannot record its state: {}", message.id(), error.toString());
                synchronized (message) {
                    message.dirty = true;
                }
            }
        }, recorded);
    }

    @Override
    public void close() {
        running = false;
        wake();
        if (dispatcher != null) {
            try {
                dispatcher.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        List<Lane> all;
        synchronized (lanes) {
            all = List.copyOf(lanes.values());
        }
        all.forEach(Lane::stop);
        // Attempts under way may finish (and be recorded) for a few seconds; then their connections are cut,
        // which records them as deferred. Either way the state on disk stays true.
        awaitIdle(all, Duration.ofSeconds(5));
        all.forEach(Lane::abortAll);
        awaitIdle(all, Duration.ofSeconds(2));
        recorded.shutdown(); // what is queued still runs (log lines of the last records)
    }

    private static void awaitIdle(List<Lane> all, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (all.stream().anyMatch(Lane::busy) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    static String inFlightKey(String id, String address) {
        return id + " " + address;
    }

    private static String stripPort(String remoteHost) {
        int colon = remoteHost.lastIndexOf("]:");
        return colon > 0 ? remoteHost.substring(0, colon + 1) : remoteHost;
    }
}
