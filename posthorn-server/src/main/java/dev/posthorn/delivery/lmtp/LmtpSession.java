package dev.posthorn.delivery.lmtp;

import dev.posthorn.delivery.lmtp.RecipientResult.Stage;
import dev.posthorn.delivery.remote.ClientSettings;
import dev.posthorn.delivery.remote.RemoteReply;
import dev.posthorn.delivery.remote.SmtpClientException;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection to an LMTP server (RFC 2033): greeting, LHLO, then any number of transactions, each answered
 * with one reply per accepted recipient after the final dot (§4.2), so every recipient gets its own fate.
 * MAIL, RCPT and DATA go out in one write when the server offers PIPELINING (RFC 2920); a reused connection is
 * reset with RSET in the same write. Every reply has the time-out of RFC 5321 §4.5.3.2 for its step.
 */
public final class LmtpSession implements Closeable {

    private static final Logger LOG = LoggerFactory.getLogger(LmtpSession.class);
    private static final Duration QUIT_TIMEOUT = Duration.ofSeconds(10);

    private final LmtpWire wire;
    private final ClientSettings settings;
    private final RemoteReply greeting;
    private final Map<String, String> extensions;
    private int transactions;
    /** Volatile: {@link #close()} may come from another thread, to cut a delivery at shutdown. */
    private volatile boolean usable = true;
    private boolean unanswered;
    /** Replies read in transactions on this connection; volatile for {@link #repliesRead()} from another thread. */
    private volatile int repliesRead;

    private LmtpSession(LmtpWire wire, ClientSettings settings, RemoteReply greeting, Map<String, String> extensions) {
        this.wire = wire;
        this.settings = settings;
        this.greeting = greeting;
        this.extensions = extensions;
    }

    /**
     * Connects, reads the greeting and says LHLO. A refused or timed-out connection throws with a synthesised
     * {@code 451 4.4.x}; a greeting other than 220 or a refused LHLO throws with the server's own reply.
     */
    public static LmtpSession open(LmtpEndpoint endpoint, ClientSettings settings) throws SmtpClientException {
        return open(endpoint, settings, new OpenAttempt());
    }

    /** {@link #open(LmtpEndpoint, ClientSettings)} that {@link OpenAttempt#cut()} stops at any step. */
    static LmtpSession open(LmtpEndpoint endpoint, ClientSettings settings, OpenAttempt attempt)
            throws SmtpClientException {
        LmtpWire wire = LmtpWire.connect(endpoint, settings.connect(), settings.dataBlock(), attempt);
        try {
            RemoteReply greeting = wire.read(settings.greeting());
            if (greeting.code() != 220) {
                throw new SmtpClientException(greeting, "greeting refused by " + endpoint);
            }
            // RFC 2033 §4.1: LHLO replaces EHLO and HELO; a server that refuses it is no LMTP server to fall back on.
            wire.command("LHLO " + settings.heloName());
            wire.flush();
            RemoteReply lhlo = wire.read(settings.command());
            if (lhlo.code() / 100 != 2) {
                throw new SmtpClientException(lhlo, "LHLO refused by " + endpoint);
            }
            return new LmtpSession(wire, settings, greeting, keywords(lhlo));
        } catch (SmtpClientException e) {
            wire.close();
            throw e;
        }
    }

    public RemoteReply greeting() {
        return greeting;
    }

    /** Whether the LHLO reply announced this keyword (case-insensitive). */
    public boolean supports(String keyword) {
        return extensions.containsKey(keyword.toUpperCase(Locale.ROOT));
    }

    /** For tests: replies read so far in this connection's transactions (greeting and LHLO not counted). */
    int repliesRead() {
        return repliesRead;
    }

    /** Transactions started on this connection. */
    public int transactions() {
        return transactions;
    }

    /** False once the connection is lost, timed out, or the server said 421: open a new session then. */
    public boolean isUsable() {
        return usable && wire.isOpen();
    }

    /**
     * Usable, and nothing came from the server since the last reply we read: bytes that arrived between
     * transactions answer nothing we sent (one reply too many, or the server's 421 before it closes an idle
     * connection), and taking them for the next transaction's replies would shift every reply by one.
     */
    public boolean isReusable() {
        return isUsable() && !wire.hasUnreadInput();
    }

    /**
     * True when the last transaction, on a connection kept from an earlier one, failed before the server answered
     * any of its commands, or when the first answer was the server's goodbye ({@code 421} to the RSET, as Dovecot
     * writes to idle connections at a reload): nothing of it reached a mailbox, so it may be sent again at once on
     * a new connection. Any other answer means the server was there and took part: never sent again.
     */
    boolean lastTransactionUnanswered() {
        return unanswered;
    }

    /**
     * Runs one transaction and returns one result per recipient, in the order of {@code message.recipients()}.
     * Never throws for what the server or the network did: a lost connection or a time-out gives every recipient
     * whose reply did not come a synthesised {@code 451 4.4.2} ({@link Stage#CONNECTION} before the final dot was
     * sent, {@link Stage#UNCONFIRMED} after it), keeps the replies
     * that did come, and leaves this session unusable. A reply that no step allows (a 250 to DATA, a 3xx after
     * the data) is a protocol error: the connection is closed and the undecided recipients get {@code 451 4.5.0}
     * ({@link Stage#CONNECTION} or {@link Stage#UNCONFIRMED} likewise); only a 2xx after the data is a delivery.
     *
     * @throws IOException only when the message's content cannot be read (the spool's problem, not the server's);
     *                     the session is then unusable, the server having seen an unfinished DATA
     */
    public List<RecipientResult> deliver(LmtpMessage message) throws IOException {
        if (!isUsable()) {
            throw new IllegalStateException("LMTP session to " + wire.peer() + " is closed");
        }
        List<String> recipients = message.recipients();
        RecipientResult[] results = new RecipientResult[recipients.size()];
        unanswered = false;
        Capabilities.Verdict verdict = Capabilities.check(message, this::supports, extensions.get("SIZE"), wire.peer());
        for (int i = 0; i < results.length; i++) {
            RemoteReply refusal = verdict.refusal(i);
            if (refusal != null) {
                results[i] = new RecipientResult(recipients.get(i), refusal, Stage.LOCAL);
            }
        }
        if (Arrays.stream(results).allMatch(Objects::nonNull)) {
            return List.of(results);
        }
        boolean reset = transactions > 0;
        transactions++;
        Transaction t = new Transaction(message, verdict, results);
        try {
            t.run(reset);
        } catch (SmtpClientException e) {
            // RFC 2033 §4.2 leaves a recipient undelivered until its own reply says otherwise: every one still
            // without a reply is deferred, with the reason the connection failed.
            usable = false;
            unanswered = reset && (t.replies == 0 || t.goodbye);
            wire.close();
            for (int i = 0; i < results.length; i++) {
                if (results[i] == null) {
                    results[i] = new RecipientResult(recipients.get(i), e.reply(),
                            t.endOfDataSent ? Stage.UNCONFIRMED : Stage.CONNECTION);
                }
            }
            LOG.info("lmtp server={} status=connection-closed replies={} reason=\"{}\"", wire.peer(), t.replies,
                    e.reply().oneLine());
        } catch (IOException e) {
            usable = false;
            wire.close();
            throw e;
        }
        return List.of(results);
    }

    /** QUIT and close; a server that closes first or does not answer is no error, the work being done. */
    public void quit() {
        try {
            if (isUsable()) {
                wire.command("QUIT");
                wire.flush();
                wire.read(QUIT_TIMEOUT);
            }
        } catch (SmtpClientException ignored) {
            // Already closed by the wire; nothing is lost by a QUIT that went unanswered.
        } finally {
            close();
        }
    }

    /** Closes the connection; safe from any thread, a delivery in progress then defers its unanswered recipients. */
    @Override
    public void close() {
        usable = false;
        wire.close();
    }

    /** One mail transaction's steps, filling in each recipient's result as its deciding reply arrives. */
    private final class Transaction {
        private final LmtpMessage message;
        private final Capabilities.Verdict verdict;
        private final RecipientResult[] results;
        private final List<Integer> sent = new ArrayList<>();
        int replies;
        /** The first reply was a 421: the server closed the kept connection before it took any command. */
        boolean goodbye;
        /** The final dot went to the socket (or may have): from now on the server may deliver. */
        boolean endOfDataSent;

        Transaction(LmtpMessage message, Capabilities.Verdict verdict, RecipientResult[] results) {
            this.message = message;
            this.verdict = verdict;
            this.results = results;
            for (int i = 0; i < results.length; i++) {
                if (results[i] == null) {
                    sent.add(i);
                }
            }
        }

        void run(boolean reset) throws IOException {
            boolean pipelining = supports("PIPELINING");
            RemoteReply mail;
            List<Integer> accepted = new ArrayList<>();
            RemoteReply dataStart = null;
            if (pipelining) {
                // RFC 2920 §3.1: RSET, MAIL and RCPT may be grouped, and DATA may end the group.
                if (reset) {
                    wire.command("RSET");
                }
                wire.command(mailCommand());
                for (int i : sent) {
                    wire.command("RCPT TO:<" + message.recipients().get(i) + ">");
                }
                wire.command("DATA");
                wire.flush();
                if (reset) {
                    checkReset(read(settings.command()));
                }
                mail = checkMail(read(settings.command()));
                for (int i : sent) {
                    rcpt(i, read(settings.command()), mail, accepted);
                }
                dataStart = read(settings.dataInit());
            } else {
                if (reset) {
                    send("RSET");
                    checkReset(read(settings.command()));
                }
                send(mailCommand());
                mail = checkMail(read(settings.command()));
                if (mail.positive()) {
                    for (int i : sent) {
                        send("RCPT TO:<" + message.recipients().get(i) + ">");
                        rcpt(i, read(settings.command()), mail, accepted);
                    }
                }
                if (!accepted.isEmpty()) {
                    send("DATA");
                    dataStart = read(settings.dataInit());
                }
            }
            if (!mail.positive()) {
                decideAll(sent, mail, Stage.MAIL);
            }
            if (mail.code() == 421) {
                usable = false;
            }
            if (accepted.isEmpty()) {
                if (dataStart != null && !failure(dataStart)) {
                    // RFC 2033 §4.2 wants 503 here; a server that starts DATA anyway is in a state we will not guess.
                    usable = false;
                }
                return;
            }
            if (dataStart.code() != 354) {
                if (!failure(dataStart)) {
                    // RFC 5321 §4.1.1.4: only 354 lets the data go. Taking a 250 for a delivery would report a
                    // message the server never got as delivered, and the replies after it would be off by one.
                    throw protocolError("DATA", dataStart, "only 354 lets the message go, so it was not sent");
                }
                decideAll(accepted, dataStart, Stage.DATA);
                return;
            }
            sendContent();
            // RFC 2033 §4.2: after the final dot, one reply for each recipient that RCPT accepted, in RCPT's order.
            for (int i : accepted) {
                RemoteReply r = read(settings.dataEnd());
                if (!completion(r) && !failure(r)) {
                    // A 3xx here answers nothing we sent: the server and we no longer agree on which reply is whose.
                    throw protocolError("the end of the data", r, "a reply after the data must be 2xx (delivered), 4xx or 5xx (refused)");
                }
                results[i] = new RecipientResult(message.recipients().get(i), r, Stage.DELIVERY);
                if (r.code() == 421) {
                    usable = false;
                }
            }
        }

        private void rcpt(int i, RemoteReply reply, RemoteReply mail, List<Integer> accepted) throws SmtpClientException {
            // With MAIL refused, the RCPT replies of a pipelined group say nothing about the recipient.
            if (!mail.positive()) {
                return;
            }
            if (completion(reply)) {
                accepted.add(i);
            } else if (failure(reply)) {
                results[i] = new RecipientResult(message.recipients().get(i), reply, Stage.RCPT);
            } else {
                throw protocolError("RCPT", reply, "a reply to RCPT must be 2xx (accepted), 4xx or 5xx (refused)");
            }
        }

        /** A reply no command of ours allows: the connection is closed and every undecided recipient deferred. */
        private SmtpClientException protocolError(String step, RemoteReply reply, String why) {
            return new SmtpClientException(RemoteReply.local(451, "4.5.0", "Protocol error: the LMTP server at "
                    + wire.peer() + " answered " + step + " with \"" + reply.oneLine() + "\": " + why),
                    "protocol error");
        }

        private void decideAll(List<Integer> which, RemoteReply reply, Stage stage) {
            for (int i : which) {
                if (results[i] == null) {
                    results[i] = new RecipientResult(message.recipients().get(i), reply, stage);
                }
            }
        }

        private RemoteReply checkMail(RemoteReply reply) throws SmtpClientException {
            if (!completion(reply) && !failure(reply)) {
                throw protocolError("MAIL", reply, "a reply to MAIL must be 2xx (accepted), 4xx or 5xx (refused)");
            }
            return reply;
        }

        private void checkReset(RemoteReply reply) throws SmtpClientException {
            if (reply.code() == 421) {
                // RFC 5321 §3.8: the server is closing the channel, here before it took the RSET or anything after.
                goodbye = true;
                throw new SmtpClientException(RemoteReply.local(451, "4.4.2", "The LMTP server at " + wire.peer()
                        + " closed the kept connection: " + reply.oneLine()), "connection closed by the server");
            }
            if (!completion(reply)) {
                // A server that cannot reset is in a state we do not know: no recipient's fate is decided by it.
                throw new SmtpClientException(RemoteReply.local(451, "4.4.2", "The LMTP server at " + wire.peer()
                        + " refused RSET: " + reply.oneLine()), "RSET refused");
            }
        }

        private String mailCommand() {
            StringBuilder c = new StringBuilder(64).append("MAIL FROM:<").append(message.sender()).append('>');
            if (supports("SIZE")) {
                c.append(" SIZE=").append(verdict.size());
            }
            if (message.eightBit() && supports("8BITMIME")) {
                c.append(" BODY=8BITMIME");
            }
            if (verdict.smtputf8()) {
                c.append(" SMTPUTF8");
            }
            return c.toString();
        }

        private void sendContent() throws IOException {
            DotStuffingOutputStream data = new DotStuffingOutputStream(wire.content());
            try (InputStream content = message.content().open()) {
                content.transferTo(data);
            }
            // Set before the dot is written: once any of it may have gone out, a failure leaves the outcome unknown.
            endOfDataSent = true;
            data.finish();
            wire.flush();
        }

        private void send(String command) throws SmtpClientException {
            wire.command(command);
            wire.flush();
        }

        private RemoteReply read(Duration timeout) throws SmtpClientException {
            RemoteReply r = wire.read(timeout);
            replies++;
            repliesRead++;
            return r;
        }
    }

    /** A positive completion reply (RFC 5321 §4.2.1): the only kind that accepts MAIL, RCPT or a message. */
    private static boolean completion(RemoteReply reply) {
        return reply.code() / 100 == 2;
    }

    /** A transient or permanent negative reply: a refusal, with the server still in step with us. */
    private static boolean failure(RemoteReply reply) {
        return reply.transientFailure() || reply.permanentFailure();
    }

    /** The LHLO keywords (RFC 5321 §4.1.1.1: the first line is the server's name), each with its parameter. */
    private static Map<String, String> keywords(RemoteReply lhlo) {
        Map<String, String> found = new HashMap<>();
        for (String line : lhlo.lines().subList(1, lhlo.lines().size())) {
            String[] parts = line.trim().split("\\s+", 2);
            if (!parts[0].isEmpty()) {
                found.putIfAbsent(parts[0].toUpperCase(Locale.ROOT), parts.length > 1 ? parts[1] : "");
            }
        }
        return Map.copyOf(found);
    }
}
