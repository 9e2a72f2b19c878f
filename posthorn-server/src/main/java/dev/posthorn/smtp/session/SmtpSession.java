package dev.posthorn.smtp.session;

import dev.posthorn.codes.Reply;
import dev.posthorn.codes.ReplyName;
import dev.posthorn.policy.AuthContext;
import dev.posthorn.policy.AuthDecision;
import dev.posthorn.policy.MessageAuthentication;
import dev.posthorn.smtp.protocol.Action;
import dev.posthorn.smtp.protocol.ListenerRole;
import dev.posthorn.smtp.protocol.SessionSettings;
import dev.posthorn.smtp.protocol.SmtpProtocol;
import dev.posthorn.smtp.protocol.Transaction;
import dev.posthorn.spool.DiskSpace;
import dev.posthorn.spool.Envelope;
import dev.posthorn.spool.EnvelopeRecipient;
import dev.posthorn.spool.SpoolWriter;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLSocket;
import dev.posthorn.tls.ServerTls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SMTP connection on its own virtual thread: reads lines and content, feeds the protocol, carries out its
 * actions (replies, DATA and BDAT into the spool, the TLS upgrade) and owns the socket.
 */
public final class SmtpSession implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(SmtpSession.class);

    private final SessionServices services;
    private final ListenerRole role;
    private final boolean implicitTls;
    /** How long the watchdog waits for a session's write lock to send its 421 (a write to a client that stopped reading holds it). */
    private static final long WATCHDOG_GRACE_MILLIS = 1000;
    /** ... and if even the 421 cannot be written (the client stopped reading), this much later it closes. */
    private static final long WATCHDOG_FORCE_MILLIS = 2000;

    private final String clientAddress;
    private final ReentrantLock writeLock = new ReentrantLock();
    /** The accepted TCP socket, below any TLS layer: closing it ends every blocked read and write at once. */
    private final Socket rawSocket;
    private volatile Socket socket;
    private SmtpInput input;
    private volatile OutputStream output;
    private SmtpProtocol protocol;
    private volatile boolean shuttingDown;
    private boolean idle;
    /** Guarded by writeLock: the last reply (221 aside) was sent; nothing more may follow it. */
    private boolean finalSent;
    private final SessionDeadlines deadlines;
    private volatile boolean handshaking;
    /**
     * Guards {@link #working} and {@link #cut} together, so that the watchdog's decision to cut and the session
     * thread's decision to take a message can never both be made.
     */
    private final Object cutGuard = new Object();
    /**
     * Guarded by cutGuard: the client has sent its last octet of message content and the server is checking and
     * committing it, up to the reply in the output buffer. Nobody waits on the client then, so no deadline holds.
     */
    private boolean working;
    /** Guarded by cutGuard (volatile for the log line): the watchdog has decided to cut this session. */
    private volatile boolean cut;
    private int accepted;
    private final SessionLog log;
    /** The listener's role as the metrics' {@code port} label. */
    private final String port;
    /** Commands whose refusal is a refused transaction (postfix_exporter's rejects): the envelope and the content. */
    private static final Set<String> TRANSACTION_VERBS = Set.of("MAIL", "RCPT", "DATA", "BDAT");
    /** Commands that end the transaction under way (RFC 5321 §4.1.1.1, §4.1.1.5, §4.1.1.10; RFC 3207 §4.2). */
    private static final Set<String> TRANSACTION_ENDS = Set.of("MAIL", "RSET", "QUIT", "HELO", "EHLO", "STARTTLS");
    /**
     * The first refusal of the transaction under way, counted once as a refused message when the transaction
     * ends without a 250 for its message: one refused RCPT and the DATA refused after it are one refusal.
     */
    private Reply transactionRefusal;
    private final Object refusalLock = new Object();
    /** Mail authentication's view of the message being received (null without it). */
    private MessageAuthentication.Inspection inspection;

    public SmtpSession(Socket socket, ListenerRole role, boolean implicitTls, SessionServices services) {
        this.socket = socket;
        this.rawSocket = socket;
        this.role = role;
        this.implicitTls = implicitTls;
        this.services = services;
        this.clientAddress = ((InetSocketAddress) socket.getRemoteSocketAddress()).getAddress().getHostAddress();
        this.deadlines = new SessionDeadlines(services.clock(), services.limits().commandTimeout(),
                services.limits().sessionTimeout());
        this.log = new SessionLog(role, clientAddress);
        this.port = role.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public void run() {
        log.connected();
        String end = "closed";
        try {
            if (implicitTls) {
                socket = handshake(() -> services.tls().implicitTls(socket));
            }
            input = new SmtpInput(socket.getInputStream());
            input.beforeRead(this::beforeBlockingRead);
            input.onLineStart(deadlines::command);
            output = new BufferedOutputStream(socket.getOutputStream(), 16 * 1024);
            protocol = new SmtpProtocol(settings(), services.policy(), services.sasl(),
                    services.authGates().apply(socket.getInetAddress()));
            if (socket instanceof SSLSocket ssl) {
                protocol.tlsEstablished(ssl.getSession().getProtocol(), ssl.getSession().getCipherSuite());
                services.metrics().tls(port, ssl.getSession().getProtocol());
            }
            end = greetAndConverse();
        } catch (SocketTimeoutException e) {
            // RFC 5321 §4.5.3.2, SMTP-CONFORMANCE O-3: 421 4.4.2, then close.
            boolean session = deadlines.sessionExpired();
            end = session ? "session time limit" : "timeout";
            sendQuietly((session ? ReplyName.SESSION_TOO_LONG : ReplyName.TIMEOUT).reply(services.hostname()));
        } catch (EOFException e) {
            end = cut ? timeoutEnd() : "lost";
        } catch (IOException e) {
            end = cut ? timeoutEnd()
                    : shuttingDown ? "shutdown" : "error: " + e.getMessage();
        } catch (RuntimeException e) {
            // A bug must cost one session, never the server; the client gets a 421 so it retries.
            end = "internal error";
            LOG.error("session from {} failed", clientAddress, e);
            sendQuietly(ReplyName.INTERNAL_ERROR.reply(services.hostname()));
        } finally {
            abandonTransaction(protocol == null ? null : protocol.transaction());
            endTransaction();
            closeSocket();
            log.closed(end, accepted);
        }
    }

    /** How a session the watchdog ended is logged: the same words as a deadline the session caught itself. */
    private String timeoutEnd() {
        return deadlines.sessionExpired() ? "session time limit" : "timeout";
    }

    /** The greeting, or what a test script answers at CONNECT instead (a refusal closes the connection). */
    private String greetAndConverse() throws IOException {
        ReplyScript.Decision decision = services.script() == null ? ReplyScript.PROCEED
                : ask(new ReplyScript.Moment(ReplyScript.Stage.CONNECT, clientAddress, null, "", null, null, List.of()));
        switch (decision) {
            case ReplyScript.Decision.Proceed proceed -> {
                pause(proceed.delay());
                send(protocol.greeting());
            }
            case ReplyScript.Decision.Answer answer -> {
                pause(answer.delay());
                send(answer.reply());
                if (answer.reply().code() >= 400) {
                    flush();
                    return "scripted " + answer.reply().summary();
                }
            }
            case ReplyScript.Decision.Drop drop -> {
                pause(drop.delay());
                return "dropped by script";
            }
        }
        return converse();
    }

    private String converse() throws IOException {
        while (true) {
            if (!input.hasBuffered()) {
                // RFC 2920 §3.2: never hold replies back while waiting for input.
                flush();
            }
            if (shuttingDown) {
                sendFinal(ReplyName.SHUTTING_DOWN.reply(services.hostname()));
                return "shutdown";
            }
            if (deadlines.sessionExpired()) {
                sendFinal(ReplyName.SESSION_TOO_LONG.reply(services.hostname()));
                return "session time limit";
            }
            CommandLineBuffer line = readCommand();
            if (line == null) {
                return shuttingDown ? "shutdown" : "lost";
            }
            ReplyScript.Moment moment = services.script() == null ? null : momentOf(line);
            Reply positiveOverride = null;
            boolean dropAfterGoAhead = false;
            if (moment != null) {
                switch (ask(moment)) {
                    case ReplyScript.Decision.Proceed proceed -> pause(proceed.delay());
                    case ReplyScript.Decision.Answer answer -> {
                        pause(answer.delay());
                        if (answer.reply().code() >= 400) {
                            // Refused by the script: the protocol never sees the command, its state is unchanged.
                            send(answer.reply());
                            if (answer.reply().code() == 421) {
                                flush();
                                return "scripted " + answer.reply().summary();
                            }
                            continue;
                        }
                        positiveOverride = answer.reply();
                    }
                    case ReplyScript.Decision.Drop drop -> {
                        pause(drop.delay());
                        if (moment.stage() != ReplyScript.Stage.DATA) {
                            flush();
                            return "dropped by script";
                        }
                        dropAfterGoAhead = true;
                    }
                }
            }
            Transaction before = protocol.transaction();
            Action action = protocol.onLine(line.bytes(), line.length(), line.fault());
            if (positiveOverride != null) {
                action = withPositiveReply(action, positiveOverride);
            }
            if (dropAfterGoAhead && action instanceof Action.ReceiveData data) {
                send(data.goAhead());
                flush();
                return "dropped by script during DATA";
            }
            if (protocol.lastCommandEndsGroup() && input.hasBuffered() && !(action instanceof Action.StartTls)) {
                // SMTP-CONFORMANCE B-6: input sent before our reply to a group-ending command.
                abandonIfReplaced(before);
                sendFinal(ReplyName.PIPELINING_VIOLATION.reply());
                return "pipelining violation";
            }
            boolean goOn = perform(action);
            abandonIfReplaced(before);
            if (!goOn) {
                // The action's last reply (a 221, a 421 after a discarded chunk, ...) must leave before the close.
                flush();
                return "quit";
            }
        }
    }

    /**
     * The stage a command line is, for the test script, when the command would reach that stage (a RCPT before
     * MAIL is the protocol's to refuse, not the script's); null for lines no script answers.
     */
    private ReplyScript.Moment momentOf(CommandLineBuffer line) {
        if (line.fault() != dev.posthorn.smtp.protocol.LineFault.NONE || protocol.inAuthExchange()) {
            return null;
        }
        String text = new String(line.bytes(), 0, line.length(), StandardCharsets.UTF_8).strip();
        int space = text.indexOf(' ');
        String verb = (space < 0 ? text : text.substring(0, space)).toUpperCase(java.util.Locale.ROOT);
        Transaction transaction = protocol.transaction();
        boolean helo = protocol.heloName() != null;
        boolean tlsGate = role == ListenerRole.SUBMISSION && !protocol.tlsActive();
        boolean authGate = role.requiresAuth() && protocol.authenticatedUser() == null;
        ReplyScript.Stage stage = switch (verb) {
            case "EHLO", "HELO" -> ReplyScript.Stage.EHLO;
            case "STARTTLS" -> helo && transaction == null ? ReplyScript.Stage.STARTTLS : null;
            case "AUTH" -> helo && !tlsGate && transaction == null ? ReplyScript.Stage.AUTH : null;
            case "MAIL" -> helo && !tlsGate && !authGate && transaction == null ? ReplyScript.Stage.MAIL : null;
            case "RCPT" -> !tlsGate && !authGate && transaction != null ? ReplyScript.Stage.RCPT : null;
            case "DATA" -> !tlsGate && !authGate && transaction != null && !transaction.recipients().isEmpty()
                    ? ReplyScript.Stage.DATA : null;
            default -> null;
        };
        if (stage == null) {
            return null;
        }
        String address = null;
        if (stage == ReplyScript.Stage.MAIL || stage == ReplyScript.Stage.RCPT) {
            int open = text.indexOf('<');
            int close = open < 0 ? -1 : text.indexOf('>', open);
            address = close < 0 ? null : text.substring(open + 1, close);
        }
        return moment(stage, text, address);
    }

    private ReplyScript.Moment moment(ReplyScript.Stage stage, String command, String address) {
        Transaction transaction = protocol.transaction();
        String sender = transaction == null ? null
                : transaction.sender() == null ? "" : transaction.sender().address();
        List<String> recipients = transaction == null ? List.of()
                : transaction.recipients().stream().map(r -> r.mailbox().address()).toList();
        return new ReplyScript.Moment(stage, clientAddress, protocol.heloName(), command, address, sender, recipients);
    }

    private ReplyScript.Decision ask(ReplyScript.Moment moment) {
        ReplyScript.Decision decision = services.script().at(moment);
        if (decision != ReplyScript.PROCEED) {
            LOG.info("test script at {} from {}: {}", moment.stage(), clientAddress, decision);
        }
        return decision == null ? ReplyScript.PROCEED : decision;
    }

    /**
     * A scripted positive reply takes the place of the server's own positive reply with the same code; refusals
     * stay as they are, and so does a reply of another code (a 235 for AUTH's 334 challenge, say), which would put
     * the client out of step with the session.
     */
    private static Action withPositiveReply(Action action, Reply reply) {
        return switch (action) {
            case Action.Respond respond when respond.reply().code() == reply.code() -> new Action.Respond(reply);
            case Action.ReceiveData data when data.goAhead().code() == reply.code() ->
                    new Action.ReceiveData(reply, data.transaction());
            case Action.StartTls startTls when startTls.ready().code() == reply.code() -> new Action.StartTls(reply);
            default -> action;
        };
    }

    /** A scripted slow reply: what is already answered goes out first, then the wait. */
    private void pause(java.time.Duration delay) throws IOException {
        if (delay.isZero() || delay.isNegative()) {
            return;
        }
        flush();
        sleep(delay.toMillis());
    }

    private CommandLineBuffer readCommand() throws IOException {
        writeLock.lock();
        try {
            idle = true;
        } finally {
            writeLock.unlock();
        }
        deadlines.command();
        try {
            return input.readLine(protocol.maxLineLength());
        } finally {
            // Answering the command gets the command timeout too, so a client that stops reading is cut.
            deadlines.command();
            writeLock.lock();
            try {
                idle = false;
            } finally {
                writeLock.unlock();
            }
        }
    }

    /** Carries out one action; false when the session ends. */
    private boolean perform(Action action) throws IOException {
        switch (action) {
            case Action.Respond respond -> send(respond.reply());
            case Action.Close close -> {
                sendFinal(close.reply()); // the last reply: the watchdog's 421 must not follow it
                return false;
            }
            case Action.DelayedRespond delayed -> {
                flush();
                sleep(delayed.delay().toMillis());
                send(delayed.reply());
            }
            case Action.ReceiveData data -> {
                return receiveData(data);
            }
            case Action.ReceiveChunk chunk -> {
                return receiveChunk(chunk);
            }
            case Action.DiscardChunk discard -> {
                withDataDeadline(() -> input.skip(discard.size()));
                send(discard.reply());
                return discard.reply().code() != 421;
            }
            case Action.Commit commit -> {
                return commit(commit.transaction());
            }
            case Action.StartTls startTls -> {
                return startTls(startTls.ready());
            }
        }
        return true;
    }

    private boolean receiveData(Action.ReceiveData data) throws IOException {
        send(data.goAhead());
        flush();
        Transaction transaction = data.transaction();
        ContentSink sink;
        try {
            SpoolWriter writer = openSpool(transaction);
            sink = newContentSink(writer, transaction);
        } catch (IOException e) {
            sink = new ContentSink(OutputStream.nullOutputStream(), services.limits().maxMessageSize());
            sink.failed(e);
        }
        ContentSink content = sink;
        withDataDeadline(() -> input.readData(content));
        return afterContent(() -> {
            content.finishContent();
            if (content.storageFailure() != null) {
                return perform(new Action.Respond(storageFailed(content.storageFailure())));
            }
            return perform(protocol.dataEnded(content.outcome()));
        });
    }

    /** The server's own work on content the client has finished sending, up to its reply. */
    private interface ServerWork {
        boolean run() throws IOException;
    }

    /**
     * Runs the checks and the commit of content the client has finished sending, with no deadline: nobody waits
     * on the client now. A watchdog that cut the session here would tell the client 421 while the commit goes on
     * and the message is delivered anyway, and the client would send it again (RFC 5321 §4.1.1.4: after the
     * final dot the server must either take the message or not, and say which; RFC 1047). So the watchdog leaves
     * a working session alone, and the deadline is checked again once the reply is written (converse()). If the
     * watchdog cut the session before this began, the message is not taken at all.
     */
    private boolean afterContent(ServerWork work) throws IOException {
        synchronized (cutGuard) {
            if (cut) {
                throw new IOException("cut by the watchdog before the content was taken");
            }
            working = true;
        }
        try {
            return work.run();
        } finally {
            // The reply is in the buffer: from here on the client must read it, within the command timeout.
            deadlines.command();
            synchronized (cutGuard) {
                working = false;
            }
        }
    }

    /**
     * The spool could not take the content (a full disk, ENOSPC): this message is refused, {@code 452 4.3.1}
     * (or {@code 451 4.3.0} for another failure), its partial file dropped with its transaction, and the session
     * goes on. Messages acknowledged before are not touched.
     */
    private Reply storageFailed(IOException e) {
        boolean full = DiskSpace.isOutOfSpace(e, services.spool().directory());
        LOG.error("spool write failed for a message from {}{}: {}", clientAddress, full ? " (disk full)" : "",
                e.toString());
        return protocol.commitFailed(full);
    }

    /** One read of message content: DATA to its end, or one BDAT chunk. */
    private interface ContentRead {
        void read() throws IOException;
    }

    /**
     * Reads message content under the total content deadline: DATA up to its end, and each BDAT chunk, taken
     * or discarded, likewise, since a chunk of a million octets sent one per minute holds a slot as long.
     */
    private void withDataDeadline(ContentRead read) throws IOException {
        deadlines.content(services.limits().dataTimeout());
        try {
            read.read();
        } finally {
            deadlines.command();
        }
    }

    private boolean receiveChunk(Action.ReceiveChunk chunk) throws IOException {
        Transaction transaction = chunk.transaction();
        if (transaction.spoolHandle() == null) {
            try {
                SpoolWriter writer = openSpool(transaction);
                ContentSink sink = newContentSink(writer, transaction);
                sink.scanLineEnds();
                transaction.spoolHandle(new ChunkedContent(writer, sink));
            } catch (IOException e) {
                withDataDeadline(() -> input.skip(chunk.size()));
                return perform(new Action.Respond(storageFailed(e)));
            }
        }
        ChunkedContent content = (ChunkedContent) transaction.spoolHandle();
        withDataDeadline(() -> input.readExactly(chunk.size(), content.sink()));
        return afterContent(() -> {
            if (chunk.last()) {
                content.sink().finishContent();
            }
            // RFC 3030 §2: a chunk that could not be stored gets its reply now, and the transaction ends with it.
            if (content.sink().storageFailure() != null) {
                return perform(new Action.Respond(storageFailed(content.sink().storageFailure())));
            }
            return perform(protocol.chunkEnded(chunk.size(), chunk.last(), content.sink().outcome()));
        });
    }

    /** RFC 6409 §8.2-8.3: on submission ports, Message-ID and Date are added to a message that lacks them. */
    private ContentSink newContentSink(SpoolWriter writer, Transaction transaction) {
        OutputStream target = contentTarget(writer, transaction);
        if (!role.requiresAuth()) {
            return new ContentSink(target, services.limits().maxMessageSize());
        }
        return new ContentSink(target, services.limits().maxMessageSize(),
                header -> dev.posthorn.delivery.HeaderFixups.missingFields(header, services.hostname(),
                        services.clock().instant(), services.clock().getZone()));
    }

    /**
     * Where content goes: the spool file, through mail authentication's inspection when it is wired (which
     * removes forged Authentication-Results and hashes the body for the checks and signatures).
     */
    private OutputStream contentTarget(SpoolWriter writer, Transaction transaction) {
        MessageAuthentication authentication = services.authentication();
        if (authentication == null) {
            inspection = null;
            return writer.content();
        }
        boolean relayed = transaction.recipients().stream().anyMatch(r -> !r.local());
        inspection = authentication.inspect(writer.content(), protocol.authenticatedUser() != null, relayed);
        return inspection.stream();
    }

    /**
     * Mail authentication at the end of the content, before the 250: puts its header fields on top of the
     * stored message, or returns the refusal (DMARC reject, a temporary DNS failure) to send instead.
     */
    private Reply authenticate(Transaction transaction, SpoolWriter writer) throws IOException {
        MessageAuthentication authentication = services.authentication();
        MessageAuthentication.Inspection seen = inspection;
        inspection = null;
        if (authentication == null || seen == null) {
            return null;
        }
        String user = protocol.authenticatedUser();
        AuthDecision decision = authentication.decide(seen, new AuthContext(role == ListenerRole.MX,
                user, clientAddress, protocol.heloName(),
                transaction.sender() == null ? "" : transaction.sender().address(),
                transaction.recipients().stream().anyMatch(r -> !r.local()), writer.id(),
                address -> user != null && services.policy().isAddressOf(user, address)));
        if (decision.refusal() != null) {
            return decision.refusal();
        }
        writer.prepend(decision.prependFields().getBytes(StandardCharsets.ISO_8859_1));
        return null;
    }

    /** A BDAT transaction's open spool file and the sink that has seen all its chunks so far. */
    private record ChunkedContent(SpoolWriter writer, ContentSink sink) {
    }

    private SpoolWriter openSpool(Transaction transaction) throws IOException {
        SpoolWriter writer = services.spool().begin();
        if (transaction.spoolHandle() == null) {
            transaction.spoolHandle(writer);
        }
        List<Transaction.Recipient> recipients = transaction.recipients();
        String forAddress = recipients.size() == 1 ? recipients.get(0).mailbox().address() : null;
        String received = ReceivedHeader.format(protocol, transaction, forAddress, clientAddress,
                services.hostname(), writer.id(), ZonedDateTime.now(services.clock()));
        writer.content().write(received.getBytes(StandardCharsets.UTF_8));
        return writer;
    }

    private boolean commit(Transaction transaction) throws IOException {
        long contentEnded = System.nanoTime();
        SpoolWriter writer = writerOf(transaction);
        Reply positiveOverride = null;
        if (services.script() != null) {
            switch (ask(moment(ReplyScript.Stage.END_OF_DATA, "", null))) {
                case ReplyScript.Decision.Proceed proceed -> pause(proceed.delay());
                case ReplyScript.Decision.Answer answer -> {
                    pause(answer.delay());
                    if (answer.reply().code() >= 400) {
                        // Refused by the script after the content: the message is not taken (RFC 5321 §4.2.5).
                        writer.abort();
                        if (answer.reply().code() == 421) {
                            protocol.contentRefused(answer.reply());
                            send(answer.reply());
                            return false;
                        }
                        return perform(protocol.contentRefused(answer.reply()));
                    }
                    positiveOverride = answer.reply();
                }
                case ReplyScript.Decision.Drop drop -> {
                    pause(drop.delay());
                    writer.abort();
                    protocol.contentRefused(ReplyName.LOCAL_ERROR.reply());
                    return false;
                }
            }
        }
        Reply refusal = authenticate(transaction, writer);
        if (refusal != null) {
            writer.abort();
            return perform(protocol.contentRefused(refusal));
        }
        Envelope envelope = envelope(transaction, writer.id());
        Reply reply;
        try {
            writer.commit(envelope);
            reply = protocol.committed(writer.id());
            if (positiveOverride != null) {
                reply = positiveOverride;
            }
        } catch (IOException e) {
            // RFC 5321 §4.2.5: no 250, so the message must not be delivered; a full disk says so (452 4.3.1).
            writer.abort();
            boolean full = DiskSpace.isOutOfSpace(e, services.spool().directory());
            LOG.error("spool failed for {} from {}{}: {}", writer.id(), clientAddress, full ? " (disk full)" : "",
                    e.toString());
            reply = protocol.commitFailed(full);
            send(reply);
            return true;
        }
        try {
            services.onAccepted().accept(envelope);
        } catch (UncheckedIOException e) {
            // Only a taker that keeps nothing of the message throws (test mode's capture): no 250 was sent, so the
            // transaction fails like a spool failure (RFC 5321 §4.2.5).
            LOG.error("{} not taken after the spool: {}", writer.id(), e.getCause().toString());
            send(protocol.commitFailed(false));
            return true;
        }
        accepted++;
        log.accepted(envelope);
        synchronized (refusalLock) {
            transactionRefusal = null; // the message got its 250: refused recipients did not refuse it
        }
        send(reply);
        services.metrics().accepted(port, envelope.size(), java.time.Duration.ofNanos(System.nanoTime() - contentEnded));
        return true;
    }

    private static SpoolWriter writerOf(Transaction transaction) {
        return switch (transaction.spoolHandle()) {
            case SpoolWriter writer -> writer;
            case ChunkedContent chunked -> chunked.writer();
            default -> throw new IllegalStateException("transaction has no spool file");
        };
    }

    private Envelope envelope(Transaction transaction, String id) {
        List<EnvelopeRecipient> recipients = transaction.recipients().stream()
                .map(r -> new EnvelopeRecipient(r.mailbox().address(), r.params().notifyOn(), r.params().orcpt(),
                        r.local()))
                .toList();
        var params = transaction.params();
        return new Envelope(id, services.clock().instant(),
                transaction.sender() == null ? "" : transaction.sender().address(), recipients, params.body(),
                params.smtputf8(), params.ret(), params.envid(), protocol.authenticatedUser(), clientAddress,
                protocol.heloName(), transaction.contentSize());
    }

    private boolean startTls(Reply ready) throws IOException {
        if (input.hasBuffered()) {
            // CVE-2011-0411: commands pipelined after STARTTLS would run inside TLS. Refuse and close.
            send(ReplyName.PIPELINING_VIOLATION.reply());
            flush();
            LOG.warn("STARTTLS command injection attempt from {}: plaintext followed STARTTLS", clientAddress);
            return false;
        }
        send(ready);
        flush();
        SSLSocket tls;
        try {
            tls = handshake(() -> services.tls().startTls(socket));
        } catch (IOException e) {
            // RFC 3207 §4.1: after a failed handshake the plaintext state cannot be trusted: close.
            LOG.info("TLS handshake with {} failed: {}", clientAddress, e.getMessage());
            return false;
        }
        socket = tls;
        input.switchTo(tls.getInputStream());
        output = new BufferedOutputStream(tls.getOutputStream(), 16 * 1024);
        protocol.tlsStarted(tls.getSession().getProtocol(), tls.getSession().getCipherSuite());
        log.tls(tls.getSession().getProtocol(), tls.getSession().getCipherSuite());
        services.metrics().tls(port, tls.getSession().getProtocol());
        return true;
    }

    private SessionSettings settings() {
        SessionServices.SessionLimits limits = services.limits();
        return new SessionSettings(role, services.hostname(), services.version(), implicitTls, services.tls() != null,
                limits.maxMessageSize(), limits.maxRecipients(), limits.maxErrors(), limits.maxHops(),
                limits.forbidUnauthPipelining());
    }

    /**
     * RFC 2920 §3.2: never block on a read while replies are held back. Checking for an empty buffer between
     * commands is not enough: a buffer holding part of the next line blocks too, so flush before every read.
     *
     * <p>Reads carry no socket timeout: on a virtual thread a timed read that has to wait arms and cancels a timer
     * in the JDK's delay scheduler, which cost a quarter of the sessions' CPU under load (BENCHMARKS.md, issue 15).
     * The deadlines hold all the same: the listener's watchdog looks at every session a few times a second and
     * answers {@code 421 4.4.2} to one whose deadline has passed ({@link #enforceDeadline}), and a deadline that
     * has passed already is caught here before the read.
     */
    private void beforeBlockingRead() throws IOException {
        flush();
        deadlines.beforeRead();
    }

    private interface Handshake {
        SSLSocket run() throws IOException;
    }

    /**
     * A TLS handshake (STARTTLS or implicit TLS) within the command timeout, however slowly its records come:
     * the socket timeout bounds each read, the watchdog the whole. No SMTP reply can be sent in the middle of one.
     */
    private SSLSocket handshake(Handshake handshake) throws IOException {
        deadlines.command();
        socket.setSoTimeout(deadlines.readTimeoutMillis());
        handshaking = true;
        try {
            SSLSocket tls = handshake.run();
            // Back to untimed reads: the watchdog bounds them (see beforeBlockingRead).
            tls.setSoTimeout(0);
            return tls;
        } finally {
            handshaking = false;
        }
    }

    /**
     * A transaction the command ended (RSET, EHLO, a refused message) drops its spool file. The session's end
     * only sees the current transaction, so this runs on every path out of a command, the closing ones too.
     */
    private void abandonIfReplaced(Transaction before) {
        if (protocol.transaction() != before) {
            abandonTransaction(before);
        }
    }

    private void abandonTransaction(Transaction transaction) {
        inspection = null; // per transaction: what it saw must not outlive it
        if (transaction == null || transaction.spoolHandle() == null) {
            return;
        }
        switch (transaction.spoolHandle()) {
            case SpoolWriter writer -> writer.abort();
            case ChunkedContent chunked -> chunked.writer().abort();
            default -> {
            }
        }
    }

    /**
     * A reply in the course of the session. Never after the session's last reply: once the watchdog has answered
     * {@code 421 4.4.2} (it may do so while a slow command is being processed), nothing else may follow it.
     */
    private void send(Reply reply) throws IOException {
        writeLock.lock();
        try {
            if (finalSent) {
                throw new IOException("the session's last reply was sent already");
            }
            write(reply);
        } finally {
            writeLock.unlock();
        }
    }

    private void write(Reply reply) throws IOException {
        // Before the write: a client that has the reply to QUIT finds its refused transaction counted.
        countTransaction(reply);
        writeLock.lock();
        try {
            output.write(reply.wire().getBytes(StandardCharsets.UTF_8));
        } finally {
            writeLock.unlock();
        }
        log.reply(reply);
        count(reply);
    }

    private void count(Reply reply) {
        String command = protocol == null ? "CONNECT" : protocol.lastVerb();
        services.metrics().reply(port, command, reply.code(), reply.enhanced());
        if (reply.code() == 535 && command.equals("AUTH")) {
            services.metrics().authFailed(port);
        }
    }

    private void countTransaction(Reply reply) {
        String command = protocol == null ? "CONNECT" : protocol.lastVerb();
        if (TRANSACTION_ENDS.contains(command)) {
            endTransaction();
        }
        // 421 ends the session (timeout, shutdown), whatever command it follows: not a refusal of that command;
        // 503 is a command out of sequence, not a refused message.
        if (reply.code() >= 400 && reply.code() != 421 && reply.code() != 503 && TRANSACTION_VERBS.contains(command)) {
            synchronized (refusalLock) {
                if (transactionRefusal == null) {
                    transactionRefusal = reply;
                }
            }
        }
    }

    /** The transaction is over: counted as refused, with its first refusal's codes, if it was refused. */
    private void endTransaction() {
        Reply refusal;
        synchronized (refusalLock) {
            refusal = transactionRefusal;
            transactionRefusal = null;
        }
        if (refusal != null) {
            services.metrics().rejected(port, refusal.code(), refusal.enhanced());
        }
    }

    /** The last reply of a session: it must reach the client before the socket closes (never a silent close). */
    private void sendFinal(Reply reply) throws IOException {
        writeLock.lock();
        try {
            if (finalSent) {
                return;
            }
            finalSent = true;
            write(reply);
            flush();
        } finally {
            writeLock.unlock();
        }
    }

    private void flush() throws IOException {
        writeLock.lock();
        try {
            output.flush();
        } finally {
            writeLock.unlock();
        }
    }

    /** The session's last words (a 421): sent once, whoever decides to end it, and never after another. */
    private void sendQuietly(Reply reply) {
        writeLock.lock();
        try {
            if (output != null && !finalSent && !handshaking) {
                finalSent = true;
                write(reply);
                flush();
            }
        } catch (IOException ignored) {
            // The peer is gone; nothing more to tell it.
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * The watchdog's check, four times a second: a session whose deadline has passed is idle or slow in a read
     * (a command, content, a TLS record or handshake sent byte by byte) or stuck in a write to a client that does
     * not read. It gets {@code 421 4.4.2} when a reply can still be written, and its socket
     * is closed; if even that write blocks, the socket is closed regardless a little later. A session that is
     * checking or committing a message the client has sent in full is never cut: see {@link #afterContent}.
     */
    public void enforceDeadline(long nowMillis) {
        long overdue = deadlines.overdueSince(nowMillis);
        if (overdue < 0) {
            return;
        }
        synchronized (cutGuard) {
            if (working) {
                return;
            }
            if (!cut) {
                cut = true;
                LOG.info("session from {} overran its deadline by {} ms: closing it", clientAddress, overdue);
                Thread.ofVirtual().name("smtp-expire").start(this::expire);
                return;
            }
        }
        // Cut already, so the session thread can no longer start taking a message: closing loses none.
        if (overdue >= WATCHDOG_GRACE_MILLIS + WATCHDOG_FORCE_MILLIS) {
            closeRawSocket();
        }
    }

    private void expire() {
        Reply reply = (deadlines.sessionExpired() ? ReplyName.SESSION_TOO_LONG : ReplyName.TIMEOUT)
                .reply(services.hostname());
        try {
            // The session thread holds the lock only while it writes; if that write is stuck, so would ours be.
            if (writeLock.tryLock(WATCHDOG_GRACE_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                try {
                    if (output != null && !finalSent && !handshaking) {
                        finalSent = true;
                        output.write(reply.wire().getBytes(StandardCharsets.US_ASCII));
                        output.flush();
                        log.reply(reply);
                    }
                } finally {
                    writeLock.unlock();
                }
            }
        } catch (IOException | InterruptedException e) {
            // The peer is gone or not reading; closing is all that is left.
        } finally {
            closeRawSocket();
        }
    }

    private void closeRawSocket() {
        try {
            rawSocket.close();
        } catch (IOException ignored) {
            // Already closed.
        }
    }

    /**
     * Server shutdown (SMTP-CONFORMANCE G-4): an idle session gets {@code 421 4.3.2} now and is closed; a busy
     * one finishes its command and gets the 421 before it reads the next.
     */
    public void shutdown() {
        shuttingDown = true;
        writeLock.lock();
        try {
            if (idle && output != null && !finalSent) {
                finalSent = true;
                output.write(ReplyName.SHUTTING_DOWN.reply(services.hostname()).wire()
                        .getBytes(StandardCharsets.US_ASCII));
                output.flush();
                closeSocket();
            }
        } catch (IOException ignored) {
            closeSocket();
        } finally {
            writeLock.unlock();
        }
    }

    /** Closes the connection at once (the shutdown grace period is over). */
    public void kill() {
        shuttingDown = true;
        closeSocket();
    }

    private void closeSocket() {
        if (socket instanceof SSLSocket ssl) {
            // A TLS close waits for the client's close_notify; don't let a silent client hold the thread.
            ServerTls.close(ssl, java.time.Duration.ofMillis(500));
            return;
        }
        try {
            socket.close();
        } catch (IOException ignored) {
            // Already closed.
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
