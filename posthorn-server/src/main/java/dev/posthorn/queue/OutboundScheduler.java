package dev.posthorn.queue;

import dev.posthorn.delivery.QueueConfig;
import dev.posthorn.delivery.ReplyExplainer;
import dev.posthorn.delivery.RetrySchedule;
import dev.posthorn.delivery.dsn.DsnBuilder;
import dev.posthorn.delivery.remote.ClientSettings;
import dev.posthorn.delivery.remote.DestinationSession;
import dev.posthorn.delivery.remote.MxResolver;
import dev.posthorn.delivery.remote.OutboundMessage;
import dev.posthorn.delivery.remote.Outcome;
import dev.posthorn.delivery.remote.RemoteReply;
import dev.posthorn.delivery.remote.Route;
import dev.posthorn.delivery.remote.Router;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outbound half of the queue: per-recipient state in {@code <id>.state}, attempts grouped by destination
 * (one connection carries several messages), concurrency limits per destination and overall, retries with
 * backoff, "delayed" and "failed" DSNs sent back through the queue, and the operator's retry/delete requests.
 *
 * <p>Delivery is at least once: the state is written after the remote's 250, so only a crash between that
 * 250 and the write can send a message twice.
 */
public final class OutboundScheduler implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(OutboundScheduler.class);
    private static final int MAX_HISTORY = 100;
    private static final Duration LINGER = Duration.ofSeconds(2);

    /** Sends a DSN (null reverse-path) to one recipient through the queue. */
    @FunctionalInterface
    public interface DsnSubmitter {
        void submit(String recipient, byte[] message, boolean eightBit) throws IOException;
    }

    /** Told when every remote recipient of a message is delivered or bounced. */
    @FunctionalInterface
    public interface Completion {
        void remoteDone(String id);
    }

    private final Path queueDir;
    private final Router router;
    private final MxResolver resolver;
    private final ClientSettings client;
    private final QueueConfig config;
    private final RetrySchedule schedule;
    private final DsnBuilder dsnBuilder;
    private final ReplyExplainer explainer;
    private final String hostname;
    private final Clock clock;
    private final DsnSubmitter dsnSubmitter;
    private final Completion completion;

    private final Map<String, QueueEntry> entries = new ConcurrentHashMap<>();
    /** "id address" of every recipient being tried right now, published for {@code posthorn queue list}. */
    private final java.util.Set<String> inFlight = ConcurrentHashMap.newKeySet();
    private final Map<String, Lane> lanes = new HashMap<>();
    private final DelayQueue<Due> due = new DelayQueue<>();
    private final Semaphore connections;
    /** Open delivery sessions, so that shutdown can wait for them and then cut what is left. */
    private final java.util.Set<DestinationSession> sessions = ConcurrentHashMap.newKeySet();
    private volatile boolean running;
    private Thread dispatcher;
    private ControlDesk controlDesk;
    private FileChannel lockChannel;
    private FileLock lock;

    public OutboundScheduler(Path queueDir, Router router, MxResolver resolver, ClientSettings client, QueueConfig config,
                             DsnBuilder dsnBuilder, ReplyExplainer explainer, String hostname, Clock clock,
                             DsnSubmitter dsnSubmitter, Completion completion) {
        this.queueDir = queueDir;
        this.router = router;
        this.resolver = resolver;
        this.client = client;
        this.config = config;
        this.schedule = RetrySchedule.from(config);
        this.dsnBuilder = dsnBuilder;
        this.explainer = explainer;
        this.hostname = hostname;
        this.clock = clock;
        this.dsnSubmitter = dsnSubmitter;
        this.completion = completion;
        this.connections = new Semaphore(Math.max(1, config.maxConcurrentConnections));
    }

    /** Takes the queue's lock (so {@code posthorn queue} knows a server runs) and starts dispatching. */
    public void start() throws IOException {
        Path control = QueueControl.controlDir(queueDir);
        Files.createDirectories(control);
        lockChannel = FileChannel.open(control.resolve(QueueControl.LOCK_FILE), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        lock = lockChannel.tryLock();
        if (lock == null) {
            throw new IOException("another Posthorn is delivering from " + queueDir + " (" + control.resolve(QueueControl.LOCK_FILE)
                    + " is locked)");
        }
        running = true;
        dispatcher = Thread.ofPlatform().daemon().name("outbound-dispatch").start(this::dispatchLoop);
        controlDesk = new ControlDesk(queueDir, this, inFlight);
        controlDesk.start();
    }

    /**
     * Hands over the remote recipients of a spooled message (on acceptance and at recovery). Recipients already
     * delivered or bounced according to {@code <id>.state} are not tried again; a message already known is ignored.
     */
    public void submit(QueuedMessage message) {
        submit(message, true);
    }

    /** @param recovered false for a message just accepted: it cannot have a state file yet, none is read */
    public void submit(QueuedMessage message, boolean recovered) {
        if (entries.containsKey(message.id())) {
            return;
        }
        MessageState state = null;
        if (recovered) {
            try {
                state = StateFile.read(queueDir, message.id());
            } catch (IOException e) {
                LOG.error("queue id={} unreadable state file, starting over: {}", message.id(), e.toString());
            }
        }
        Instant now = clock.instant();
        if (state == null) {
            state = new MessageState(message.id());
        }
        for (QueuedMessage.Recipient r : message.recipients()) {
            RecipientState rs = state.recipient(r.address());
            if (rs == null) {
                state.recipients.add(new RecipientState(r.address(), now));
            } else if (rs.status == RecipientStatus.IN_FLIGHT || rs.status == RecipientStatus.QUEUED) {
                // In flight when the previous run stopped: nothing was recorded, so try again now.
                rs.status = RecipientStatus.QUEUED;
                rs.nextAttempt = now;
            }
        }
        QueueEntry entry = new QueueEntry(message, state);
        if (entries.putIfAbsent(message.id(), entry) != null) {
            return;
        }
        if (state.allDone()) {
            finish(entry);
            return;
        }
        due.add(new Due(entry.earliestAttempt(), message.id()));
    }

    /** Every pending attempt of a message now; false when the message is not in the queue. */
    public boolean retryNow(String id) {
        QueueEntry entry = entries.get(id);
        if (entry == null) {
            return false;
        }
        Instant now = clock.instant();
        synchronized (entry) {
            for (RecipientState r : entry.state.recipients) {
                if (r.status == RecipientStatus.DEFERRED || r.status == RecipientStatus.QUEUED) {
                    r.nextAttempt = now;
                }
            }
        }
        due.add(new Due(now, id));
        return true;
    }

    public void retryAll() {
        for (String id : List.copyOf(entries.keySet())) {
            retryNow(id);
        }
    }

    /** Stops delivering a message (the operator deletes it, like {@code postsuper -d}); false when unknown. */
    public boolean delete(String id) {
        QueueEntry entry = entries.remove(id);
        if (entry == null) {
            return false;
        }
        synchronized (entry) {
            entry.deleted = true;
        }
        LOG.info("queue id={} deleted by the operator", id);
        return true;
    }

    /** Removes a message's files, envelope first (without it the message does not exist); false when absent. */
    boolean removeFiles(String id) throws IOException {
        if (!id.matches("[A-Za-z0-9_-]+")) {
            return false;
        }
        boolean existed = Files.deleteIfExists(queueDir.resolve(id + ".env"));
        Files.deleteIfExists(queueDir.resolve(id + ".msg"));
        Files.deleteIfExists(StateFile.path(queueDir, id));
        StateFile.fsyncDirectory(queueDir);
        return existed;
    }

    /** The messages with remote recipients still in the queue, for the embedding API and tests. */
    public int size() {
        return entries.size();
    }

    private void dispatchLoop() {
        while (running) {
            try {
                Due next = due.poll(500, TimeUnit.MILLISECONDS);
                if (next != null) {
                    dispatch(next.id);
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.error("outbound dispatch failed", e);
            }
        }
    }

    private void dispatch(String id) {
        QueueEntry entry = entries.get(id);
        if (entry == null) {
            return;
        }
        Map<String, List<String>> byRoute = new LinkedHashMap<>();
        Map<String, Route> routes = new HashMap<>();
        synchronized (entry) {
            if (entry.deleted) {
                return;
            }
            Instant now = clock.instant();
            for (RecipientState r : entry.state.recipients) {
                boolean waiting = r.status == RecipientStatus.QUEUED || r.status == RecipientStatus.DEFERRED;
                if (waiting && !r.nextAttempt.isAfter(now)) {
                    Route route = router.route(domainOf(r.address));
                    routes.putIfAbsent(route.key(), route);
                    byRoute.computeIfAbsent(route.key(), k -> new ArrayList<>()).add(r.address);
                    r.status = RecipientStatus.IN_FLIGHT;
                    inFlight.add(id + " " + r.address);
                }
            }
            if (byRoute.isEmpty()) {
                Instant earliest = entry.earliestAttempt();
                if (earliest != null) {
                    due.add(new Due(earliest, id));
                }
                return;
            }
        }
        for (Map.Entry<String, List<String>> group : byRoute.entrySet()) {
            lane(routes.get(group.getKey())).add(new Job(entry, group.getValue()));
        }
    }

    private Lane lane(Route route) {
        synchronized (lanes) {
            return lanes.computeIfAbsent(route.key(), k -> new Lane(route));
        }
    }

    /**
     * Jobs for one destination, worked off by at most {@code max_connections_per_destination} workers. A worker
     * whose lane is empty keeps its connection open for {@link #LINGER} in case more mail comes for the same
     * destination (Postfix: smtp_connection_cache_time_limit = 2s).
     */
    private final class Lane {
        private final Route route;
        private final ArrayDeque<Job> jobs = new ArrayDeque<>();
        private int workers;
        private int idle;

        Lane(Route route) {
            this.route = route;
        }

        synchronized void add(Job job) {
            jobs.add(job);
            if (idle > 0) {
                notify(); // a lingering worker with an open connection takes it
                return;
            }
            if (workers < Math.max(1, config.maxConnectionsPerDestination)) {
                workers++;
                Thread.ofVirtual().name("outbound-" + route.key()).start(this::work);
            }
        }

        /** The next job, waiting up to the linger time for one; null means stop (the worker is no longer counted). */
        synchronized Job next() throws InterruptedException {
            long deadline = System.nanoTime() + LINGER.toNanos();
            while (jobs.isEmpty() && running) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                idle++;
                try {
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                } finally {
                    idle--;
                }
            }
            Job job = running ? jobs.poll() : null;
            if (job == null) {
                workers--;
            }
            return job;
        }

        private void work() {
            boolean permit = false;
            boolean counted = true;
            try {
                connections.acquire();
                permit = true;
                try (DestinationSession session = new DestinationSession(route, resolver, client,
                        config.maxMessagesPerConnection)) {
                    sessions.add(session);
                    try {
                        Job job;
                        while ((job = next()) != null) {
                            attempt(job, session);
                        }
                        counted = false;
                    } finally {
                        sessions.remove(session);
                    }
                }
                forgetIfIdle();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                LOG.error("outbound worker for {} failed", route.key(), e);
            } finally {
                if (permit) {
                    connections.release();
                }
                if (counted) {
                    abandon();
                }
            }
        }

        /** An idle lane leaves the map, so that destinations seen once do not accumulate. */
        private void forgetIfIdle() {
            synchronized (lanes) {
                synchronized (this) {
                    if (workers == 0 && jobs.isEmpty()) {
                        lanes.remove(route.key(), this);
                    }
                }
            }
        }

        /** A worker that dies uncounts itself; the last one hands the lane's jobs back to the schedule. */
        private void abandon() {
            List<Job> orphans = List.of();
            synchronized (this) {
                workers--;
                if (workers == 0) {
                    orphans = new ArrayList<>(jobs);
                    jobs.clear();
                }
            }
            orphans.forEach(OutboundScheduler.this::requeue);
        }
    }

    private void requeue(Job job) {
        synchronized (job.entry) {
            for (String address : job.addresses) {
                RecipientState r = job.entry.state.recipient(address);
                if (r != null && r.status == RecipientStatus.IN_FLIGHT) {
                    r.status = RecipientStatus.DEFERRED;
                }
                inFlight.remove(job.entry.message.id() + " " + address);
            }
        }
        due.add(new Due(clock.instant().plusSeconds(1), job.entry.message.id()));
    }

    private void attempt(Job job, DestinationSession session) {
        QueueEntry entry = job.entry;
        QueuedMessage m = entry.message;
        if (entry.deleted) {
            return;
        }
        List<OutboundMessage.Recipient> rcpts = new ArrayList<>(job.addresses.size());
        for (String address : job.addresses) {
            QueuedMessage.Recipient r = entry.recipient(address);
            rcpts.add(new OutboundMessage.Recipient(r.address(), r.notifyOn(), r.orcpt()));
        }
        OutboundMessage out = new OutboundMessage(m.sender(), rcpts, m.content(), m.size(), m.eightBit(),
                entry.needsSmtputf8(), m.ret(), m.envid());
        List<Outcome> outcomes;
        try {
            outcomes = session.deliver(out);
        } catch (RuntimeException e) {
            LOG.error("queue id={} delivery attempt failed", m.id(), e);
            requeue(job);
            return;
        }
        record(entry, job.addresses, outcomes);
    }

    private void record(QueueEntry entry, List<String> addresses, List<Outcome> outcomes) {
        QueuedMessage m = entry.message;
        Instant now = clock.instant();
        List<DsnBuilder.RecipientReport> failed = new ArrayList<>();
        List<DsnBuilder.RecipientReport> delayed = new ArrayList<>();
        List<DsnBuilder.RecipientReport> relayed = new ArrayList<>();
        synchronized (entry) {
            if (entry.deleted) {
                return;
            }
            for (int i = 0; i < addresses.size(); i++) {
                inFlight.remove(m.id() + " " + addresses.get(i));
                RecipientState r = entry.state.recipient(addresses.get(i));
                Outcome o = outcomes.get(i);
                QueuedMessage.Recipient rcpt = entry.recipient(r.address);
                RemoteReply reply = o.reply();
                String explanation = explainer.explain(reply, Locale.ENGLISH);
                String result;
                switch (o.kind()) {
                    case DELIVERED -> {
                        r.status = RecipientStatus.DELIVERED;
                        r.nextAttempt = null;
                        result = "delivered";
                        if (rcpt.notifyOn().contains("SUCCESS") && !o.remoteDsn()) {
                            relayed.add(report(rcpt, o, now, null)); // RFC 3461 §5.2.2.1: the next hop lacks DSN
                        }
                    }
                    case FAILED -> {
                        r.status = RecipientStatus.BOUNCED;
                        r.nextAttempt = null;
                        result = "bounced";
                        if (rcpt.wantsFailureNotice()) {
                            failed.add(report(rcpt, o, now, null));
                        }
                    }
                    default -> {
                        Instant next = schedule.nextAttempt(m.receivedAt(), r.attempts.size() + 1, now);
                        if (next == null) {
                            r.status = RecipientStatus.BOUNCED;
                            r.nextAttempt = null;
                            result = "bounced";
                            if (rcpt.wantsFailureNotice()) {
                                failed.add(report(rcpt, o, now, null));
                            }
                        } else {
                            r.status = RecipientStatus.DEFERRED;
                            r.nextAttempt = next;
                            result = "deferred";
                            if (!r.delayNoticeSent && schedule.delayNoticeDue(m.receivedAt(), now)) {
                                r.delayNoticeSent = true;
                                if (rcpt.wantsDelayNotice()) {
                                    delayed.add(report(rcpt, o, now, schedule.giveUpAt(m.receivedAt())));
                                }
                            }
                        }
                    }
                }
                r.attempts.add(new Attempt(now, o.remoteHost(), reply.code(), reply.enhanced(), reply.lines(), explanation, result,
                        o.security() == null ? null : o.security().describe()));
                if (r.attempts.size() > MAX_HISTORY) {
                    r.attempts.remove(1); // keep the first attempt and the latest ones
                }
                LOG.info("delivery id={} to=<{}> relay={} status={} reply=\"{}\"{}", m.id(), r.address,
                        o.remoteHost() == null ? "none" : o.remoteHost(), result, reply.oneLine(),
                        r.nextAttempt != null ? " next=" + r.nextAttempt : "");
            }
            // DSNs before the state: a crash in between sends a notice twice rather than never.
            sendDsn(DsnBuilder.Kind.FAILED, m, failed, now);
            sendDsn(DsnBuilder.Kind.DELAYED, m, delayed, now);
            sendDsn(DsnBuilder.Kind.RELAYED, m, relayed, now);
            if (entry.state.allDone()) {
                entries.remove(m.id());
                entry.deleted = true;
            } else {
                try {
                    StateFile.write(queueDir, entry.state);
                } catch (IOException e) {
                    LOG.error("queue id={} cannot write state: {}", m.id(), e.toString());
                }
                Instant earliest = entry.earliestAttempt();
                if (earliest != null) {
                    due.add(new Due(earliest, m.id()));
                }
                return;
            }
        }
        finish(entry);
    }

    private void finish(QueueEntry entry) {
        entries.remove(entry.message.id());
        completion.remoteDone(entry.message.id());
    }

    private DsnBuilder.RecipientReport report(QueuedMessage.Recipient rcpt, Outcome o, Instant now, Instant until) {
        // Posthorn's own refusal of a host (a TLS policy) is not that host's answer: no Remote-MTA, no "smtp;" code.
        return new DsnBuilder.RecipientReport(rcpt.address(), rcpt.orcpt(), o.remoteHost() == null || o.ownReply() ? null
                : stripPort(o.remoteHost()), o.reply(), now, until);
    }

    private void sendDsn(DsnBuilder.Kind kind, QueuedMessage m, List<DsnBuilder.RecipientReport> reports, Instant now) {
        // Never bounce a bounce (RFC 5321 §6.1, RFC 3461 §6.2): no notice to the null reverse-path.
        if (reports.isEmpty() || m.sender().isEmpty()) {
            return;
        }
        try {
            DsnBuilder.Built dsn = dsnBuilder.build(new DsnBuilder.Request(kind, hostname, m.sender(), m.envid(),
                    m.receivedAt(), reports, m.ret(), m.content()), now);
            dsnSubmitter.submit(m.sender(), dsn.bytes(), dsn.eightBit());
            LOG.info("queue id={} {} notice sent to <{}> for {} recipient(s)", m.id(), kind.name().toLowerCase(Locale.ROOT),
                    m.sender(), reports.size());
        } catch (IOException | RuntimeException e) {
            LOG.error("queue id={} cannot queue the {} notice to <{}>: {}", m.id(), kind, m.sender(), e.toString());
        }
    }

    @Override
    public void close() {
        running = false;
        synchronized (lanes) {
            for (Lane lane : lanes.values()) {
                synchronized (lane) {
                    lane.notifyAll(); // lingering workers close their connections now
                }
            }
        }
        if (dispatcher != null) {
            dispatcher.interrupt();
        }
        // Attempts under way may finish (and be recorded) for a few seconds; then their connections are cut,
        // which records them as deferred. Either way the state on disk stays true.
        awaitNoSessions(Duration.ofSeconds(5));
        sessions.forEach(DestinationSession::abort);
        awaitNoSessions(Duration.ofSeconds(2));
        if (controlDesk != null) {
            controlDesk.close();
        }
        try {
            if (lock != null) {
                lock.release();
            }
            if (lockChannel != null) {
                lockChannel.close();
            }
        } catch (IOException ignored) {
            // Released by the OS when the process ends anyway.
        }
    }

    private void awaitNoSessions(Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!sessions.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static String domainOf(String address) {
        return address.substring(address.lastIndexOf('@') + 1);
    }

    private static String stripPort(String remoteHost) {
        int colon = remoteHost.lastIndexOf("]:");
        return colon > 0 ? remoteHost.substring(0, colon + 1) : remoteHost;
    }

    private record Job(QueueEntry entry, List<String> addresses) {
    }

    private static final class Due implements Delayed {
        final Instant at;
        final String id;

        Due(Instant at, String id) {
            this.at = at;
            this.id = id;
        }

        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(Duration.between(Instant.now(), at));
        }

        @Override
        public int compareTo(Delayed o) {
            return at.compareTo(((Due) o).at);
        }
    }
}
