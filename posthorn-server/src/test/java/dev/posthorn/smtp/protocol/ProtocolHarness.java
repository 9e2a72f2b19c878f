package dev.posthorn.smtp.protocol;

import dev.posthorn.codes.Reply;
import dev.posthorn.policy.HeaderFrom;
import dev.posthorn.policy.HostedDomains;
import dev.posthorn.policy.MailPolicy;
import dev.posthorn.policy.MailboxDirectory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A fresh MX-role {@link SmtpProtocol} fed by text lines, with a few pseudo-lines for what the session would
 * do between commands. Like the real server before the user store lands, only {@code postmaster@} of the
 * hosted domains {@code localhost} and {@code posthorn.test} exists.
 *
 * <ul>
 *   <li>{@code @BARE_LF text}, {@code @BARE_CR text}, {@code @TOO_LONG text}: a line with that scanner fault</li>
 *   <li>{@code @LATIN1 text}: the line's bytes in ISO-8859-1 (not valid UTF-8)</li>
 *   <li>{@code @DATA_END [bareLf] [bareCr] [tooBig] [size=N] [hops=N] [from=a@b]}: DATA content read</li>
 *   <li>{@code @CHUNK_END}: the last BDAT chunk read (clean)</li>
 *   <li>{@code @COMMIT}, {@code @COMMIT_FAILED}: the spool stored, or failed to store, the message</li>
 *   <li>{@code @GREETING}: the connection greeting</li>
 * </ul>
 */
final class ProtocolHarness {

    static final String HOSTNAME = "mx.posthorn.test";
    static final String QUEUE_ID = "4XyZ12AbC";
    static final long MAX_SIZE = 10L * 1024 * 1024;

    /** The mailboxes of the server as it is today: none besides postmaster, which policy handles itself. */
    static final MailboxDirectory POSTMASTER_ONLY = new MailboxDirectory() {
        @Override
        public boolean exists(String address) {
            return false;
        }

        @Override
        public Set<String> addressesOf(String account) {
            return Set.of(account.toLowerCase(Locale.ROOT));
        }
    };

    final SmtpProtocol protocol;
    final List<Action> actions = new ArrayList<>();
    private Action.ReceiveChunk lastChunk;
    private long chunked;

    ProtocolHarness(boolean tlsAvailable, int maxErrors) {
        this(new SessionSettings(ListenerRole.MX, HOSTNAME, "test", false, tlsAvailable, MAX_SIZE, 100, maxErrors,
                100, true));
    }

    ProtocolHarness(SessionSettings settings) {
        MailPolicy policy = new MailPolicy(new HostedDomains(Set.of("localhost", "posthorn.test")), POSTMASTER_ONLY,
                true);
        this.protocol = new SmtpProtocol(settings, policy, null, AuthGate.OPEN);
    }

    static ProtocolHarness mx() {
        return new ProtocolHarness(false, 20);
    }

    /** Feeds one line (or pseudo-line) and returns the resulting action. */
    Action act(String line) {
        Action action = dispatch(line);
        actions.add(action);
        if (action instanceof Action.ReceiveChunk chunk) {
            lastChunk = chunk;
            chunked += chunk.size();
        }
        return action;
    }

    /** Feeds one line and describes the action (see {@link #describe}). */
    String feed(String line) {
        return describe(act(line));
    }

    private Action dispatch(String line) {
        if (!line.startsWith("@")) {
            byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
            return protocol.onLine(bytes, bytes.length, LineFault.NONE);
        }
        int space = line.indexOf(' ');
        String pseudo = space < 0 ? line : line.substring(0, space);
        String rest = space < 0 ? "" : line.substring(space + 1);
        return switch (pseudo) {
            case "@BARE_LF" -> faulty(rest, LineFault.BARE_LF);
            case "@BARE_CR" -> faulty(rest, LineFault.BARE_CR);
            case "@TOO_LONG" -> faulty(rest, LineFault.TOO_LONG);
            case "@LATIN1" -> {
                byte[] bytes = rest.getBytes(StandardCharsets.ISO_8859_1);
                yield protocol.onLine(bytes, bytes.length, LineFault.NONE);
            }
            case "@DATA_END" -> protocol.dataEnded(outcome(rest));
            case "@CHUNK_END" -> protocol.chunkEnded(lastChunk.size(), lastChunk.last(),
                    new DataOutcome(chunked, false, false, false, 0, new HeaderFrom.Absent()));
            case "@COMMIT" -> new Action.Respond(protocol.committed(QUEUE_ID));
            case "@COMMIT_FAILED" -> new Action.Respond(protocol.commitFailed());
            case "@GREETING" -> new Action.Respond(protocol.greeting());
            default -> throw new IllegalArgumentException("unknown pseudo-line " + line);
        };
    }

    private Action faulty(String text, LineFault fault) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return protocol.onLine(bytes, bytes.length, fault);
    }

    private static DataOutcome outcome(String flags) {
        long size = 100;
        boolean tooBig = false;
        boolean bareLf = false;
        boolean bareCr = false;
        int hops = 0;
        List<String> from = new ArrayList<>();
        for (String flag : flags.isBlank() ? new String[0] : flags.split(" ")) {
            if (flag.equals("bareLf")) {
                bareLf = true;
            } else if (flag.equals("bareCr")) {
                bareCr = true;
            } else if (flag.equals("tooBig")) {
                tooBig = true;
            } else if (flag.startsWith("size=")) {
                size = Long.parseLong(flag.substring(5));
            } else if (flag.startsWith("hops=")) {
                hops = Integer.parseInt(flag.substring(5));
            } else if (flag.startsWith("from=")) {
                from.add(flag.substring(5));
            } else {
                throw new IllegalArgumentException("unknown DATA_END flag " + flag);
            }
        }
        HeaderFrom.Result senders = from.isEmpty() ? new HeaderFrom.Absent() : new HeaderFrom.Mailboxes(
                from.stream().map(a -> new HeaderFrom.Address(a.substring(0, a.lastIndexOf('@')),
                        a.substring(a.lastIndexOf('@') + 1))).toList(), List.of());
        return new DataOutcome(size, tooBig, bareLf, bareCr, hops, senders);
    }

    /**
     * One string per action: a plain reply is its summary ({@code "503 5.5.1 Bad sequence of commands"});
     * other actions are prefixed with their kind: {@code CLOSE:}, {@code DATA:}, {@code CHUNK:size last},
     * {@code DISCARD:size reply}, {@code COMMIT}, {@code STARTTLS:}.
     */
    static String describe(Action action) {
        return switch (action) {
            case Action.Respond respond -> respond.reply().summary();
            case Action.DelayedRespond delayed -> delayed.reply().summary();
            case Action.Close close -> "CLOSE:" + close.reply().summary();
            case Action.ReceiveData data -> "DATA:" + data.goAhead().summary();
            case Action.ReceiveChunk chunk -> "CHUNK:" + chunk.size() + (chunk.last() ? " LAST" : "");
            case Action.DiscardChunk discard -> "DISCARD:" + discard.size() + " " + discard.reply().summary();
            case Action.Commit commit -> "COMMIT";
            case Action.StartTls startTls -> "STARTTLS:" + startTls.ready().summary();
        };
    }

    /** The reply an action sends, if it sends one at once. */
    static Reply replyOf(Action action) {
        return switch (action) {
            case Action.Respond respond -> respond.reply();
            case Action.DelayedRespond delayed -> delayed.reply();
            case Action.Close close -> close.reply();
            case Action.ReceiveData data -> data.goAhead();
            case Action.DiscardChunk discard -> discard.reply();
            case Action.StartTls startTls -> startTls.ready();
            case Action.ReceiveChunk chunk -> null;
            case Action.Commit commit -> null;
        };
    }

    /** The lines of the last reply (for multi-line EHLO checks). */
    List<String> lastLines() {
        return replyOf(actions.get(actions.size() - 1)).lines();
    }
}
