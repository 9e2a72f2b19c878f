package dev.posthorn.smtp.protocol;

import dev.posthorn.auth.SaslMechanism;
import dev.posthorn.auth.SaslMechanisms;
import dev.posthorn.auth.SaslStep;
import dev.posthorn.codes.Reply;
import dev.posthorn.codes.ReplyName;
import dev.posthorn.policy.MailPolicy;
import dev.posthorn.policy.Mailbox;
import dev.posthorn.policy.RecipientDecision;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The SMTP server state machine for one session: command lines in, {@link Action}s out. It does no I/O,
 * reads no clock and starts no thread, so every conformance rule can be tested by feeding it lines.
 * Every reply comes from the catalogue by name ({@link ReplyName}).
 */
public final class SmtpProtocol {

    /** Command buffer bound (SMTP-CONFORMANCE L-5); must exceed the 512 octets of RFC 5321 §4.5.3.1.4. */
    public static final int MAX_COMMAND_LINE = 4096;
    /**
     * RFC 4954 §4: at least 12288 octets per AUTH exchange line, the AUTH command with its initial response
     * included (SMTP-CONFORMANCE A-14); longer ones get {@code 500 5.5.6}.
     */
    public static final int MAX_AUTH_LINE = 12288;

    /** RFC 4954 §6: without authentication these are the only commands a submission port answers normally. */
    private static final Set<String> ALLOWED_BEFORE_AUTH = Set.of("AUTH", "EHLO", "HELO", "NOOP", "RSET", "QUIT",
            "STARTTLS");
    /** RFC 3207 §4: before TLS on a TLS-required port, only these. */
    private static final Set<String> ALLOWED_BEFORE_TLS = Set.of("EHLO", "HELO", "NOOP", "STARTTLS", "QUIT");
    private static final Set<String> NOT_IMPLEMENTED = Set.of("EXPN", "TURN", "SEND", "SOML", "SAML", "ETRN", "ATRN");
    private static final Set<String> HELP_TOPICS = Set.of("EHLO", "HELO", "MAIL", "RCPT", "DATA", "BDAT", "RSET",
            "NOOP", "QUIT", "HELP", "VRFY", "STARTTLS", "AUTH");

    private final SessionSettings settings;
    private final MailPolicy policy;
    private final SaslMechanisms sasl;
    private final AuthGate authGate;

    private boolean tlsActive;
    private String tlsDescription;
    private String heloName;
    private boolean esmtp;
    private String authenticatedUser;
    private Transaction transaction;
    private SaslMechanism saslExchange;
    private int errors;
    private boolean lastCommandEndsGroup;
    /** The verb of the command being answered, for metrics; "CONNECT" before the first, "UNKNOWN" for others. */
    private String lastVerb = "CONNECT";

    public SmtpProtocol(SessionSettings settings, MailPolicy policy, SaslMechanisms sasl, AuthGate authGate) {
        this.settings = settings;
        this.policy = policy;
        this.sasl = sasl;
        this.authGate = authGate;
        this.tlsActive = settings.implicitTls();
    }

    public Reply greeting() {
        return ReplyName.GREETING.reply(settings.hostname(), settings.version());
    }

    /**
     * The longest line the session should read in the current state: an AUTH exchange line, or a command line
     * where an AUTH command with its initial response may come (lines other than AUTH are held to
     * {@link #MAX_COMMAND_LINE} in {@link #onLine}).
     */
    public int maxLineLength() {
        return saslExchange != null || authMayFollow() ? MAX_AUTH_LINE : MAX_COMMAND_LINE;
    }

    private boolean authMayFollow() {
        return settings.role().requiresAuth() && authenticatedUser == null;
    }

    private static boolean isAuthCommand(byte[] bytes, int length) {
        return length >= 5 && (bytes[0] | 0x20) == 'a' && (bytes[1] | 0x20) == 'u' && (bytes[2] | 0x20) == 't'
                && (bytes[3] | 0x20) == 'h' && bytes[4] == ' ';
    }

    /** Handles one line received without its CRLF. */
    public Action onLine(byte[] bytes, int length, LineFault fault) {
        lastCommandEndsGroup = false;
        if (saslExchange != null) {
            return saslResponse(bytes, length, fault);
        }
        lastVerb = "UNKNOWN";
        if (fault == LineFault.NONE && length > MAX_COMMAND_LINE && !isAuthCommand(bytes, length)) {
            fault = LineFault.TOO_LONG; // read long only in case it was AUTH with an initial response
        }
        switch (fault) {
            case TOO_LONG -> {
                // X.5.6 is for AUTH exchange lines only (SMTP-CONFORMANCE ESC-4, A-14).
                return error(authMayFollow() && isAuthCommand(bytes, length)
                        ? ReplyName.AUTH_LINE_TOO_LONG.reply() : ReplyName.LINE_TOO_LONG.reply());
            }
            case BARE_LF -> {
                return error(ReplyName.BARE_LF_IN_COMMAND.reply());
            }
            case BARE_CR -> {
                return error(ReplyName.BARE_CR_IN_COMMAND.reply());
            }
            case NONE -> {
            }
        }
        String line = decode(bytes, length);
        if (line == null) {
            return error(ReplyName.INVALID_CHARACTER.reply());
        }
        line = stripTrailingWhitespace(line);
        int space = line.indexOf(' ');
        String verb = (space < 0 ? line : line.substring(0, space)).toUpperCase(Locale.ROOT);
        String args = space < 0 ? "" : line.substring(space + 1);
        boolean ascii = isAscii(line);
        if (!ascii && !verb.equals("MAIL") && !verb.equals("RCPT")) {
            return error(ReplyName.INVALID_CHARACTER.reply());
        }
        return command(verb, args);
    }

    private Action command(String verb, String args) {
        if (!isKnown(verb)) {
            return error(ReplyName.UNRECOGNIZED_COMMAND.reply());
        }
        lastVerb = verb;
        if (settings.role() == ListenerRole.SUBMISSION && !tlsActive && !ALLOWED_BEFORE_TLS.contains(verb)) {
            return error(ReplyName.STARTTLS_REQUIRED.reply());
        }
        if (settings.role().requiresAuth() && authenticatedUser == null && !ALLOWED_BEFORE_AUTH.contains(verb)
                && !(verb.equals("MAIL") && heloName == null) && !verb.equals("BDAT")) {
            return error(ReplyName.AUTH_REQUIRED.reply());
        }
        return switch (verb) {
            case "EHLO" -> hello(args, true);
            case "HELO" -> hello(args, false);
            case "MAIL" -> mail(args);
            case "RCPT" -> rcpt(args);
            case "DATA" -> data(args);
            case "BDAT" -> bdat(args);
            case "RSET" -> rset(args);
            case "NOOP" -> respond(ReplyName.OK.reply());
            case "QUIT" -> args.isEmpty()
                    ? new Action.Close(ReplyName.CLOSING.reply(settings.hostname()))
                    : error(ReplyName.COMMAND_SYNTAX.reply("QUIT"));
            case "VRFY" -> args.isBlank()
                    ? error(ReplyName.COMMAND_SYNTAX.reply("VRFY address"))
                    : respond(ReplyName.VRFY_UNVERIFIED.reply());
            case "HELP" -> help(args);
            case "STARTTLS" -> startTls(args);
            case "AUTH" -> auth(args);
            default -> error(ReplyName.NOT_IMPLEMENTED.reply());
        };
    }

    private static boolean isKnown(String verb) {
        return HELP_TOPICS.contains(verb) || NOT_IMPLEMENTED.contains(verb);
    }

    // RFC 5321 §4.1.1.1, §4.1.4: EHLO/HELO name the client and reset any transaction like RSET.
    private Action hello(String args, boolean extended) {
        String name = args.strip();
        if (name.isEmpty() || name.contains(" ") || !HeloName.isValid(name)) {
            return error(ReplyName.COMMAND_SYNTAX.reply(extended ? "EHLO hostname" : "HELO hostname"));
        }
        transaction = null;
        heloName = name;
        esmtp = extended;
        lastCommandEndsGroup = true;
        Reply first = ReplyName.EHLO_GREETING.reply(settings.hostname(), name);
        if (!extended) {
            return respond(ReplyName.HELO_GREETING.reply(settings.hostname(), name));
        }
        List<String> lines = new ArrayList<>(first.lines());
        lines.addAll(Capabilities.list(settings, tlsActive, sasl));
        return respond(new Reply(first.code(), null, lines));
    }

    private Action mail(String args) {
        if (heloName == null) {
            return error(ReplyName.SEND_HELO_FIRST.reply());
        }
        if (settings.role().requiresAuth() && authenticatedUser == null) {
            return error(ReplyName.AUTH_REQUIRED.reply());
        }
        if (transaction != null) {
            return error(ReplyName.BAD_SEQUENCE.reply());
        }
        if (!args.regionMatches(true, 0, "FROM:", 0, 5)) {
            return error(ReplyName.COMMAND_SYNTAX.reply("MAIL FROM:<address>"));
        }
        Mailbox sender;
        int end;
        switch (PathParser.parse(args, 5, true)) {
            case PathParser.Result.Parsed parsed -> {
                sender = parsed.mailbox();
                end = parsed.end();
            }
            case PathParser.Result.NullPath nullPath -> {
                sender = null;
                end = nullPath.end();
            }
            case PathParser.Result.TooLong tooLong -> {
                return error(ReplyName.PATH_TOO_LONG.reply());
            }
            case PathParser.Result.Invalid invalid -> {
                return error(ReplyName.BAD_SENDER_SYNTAX.reply());
            }
        }
        if (end < args.length() && args.charAt(end) != ' ') {
            return error(ReplyName.BAD_SENDER_SYNTAX.reply());
        }
        String rest = args.substring(end);
        if (!esmtp && !rest.isBlank()) {
            return error(ReplyName.UNSUPPORTED_OPTION.reply(ParameterParser.echo(rest.strip())));
        }
        var outcome = ParameterParser.mail(rest, settings.maxMessageSize(), settings.role().requiresAuth());
        if (outcome.error() != null) {
            return error(outcome.error());
        }
        MailParameters params = outcome.value();
        if (sender != null && !sender.isAscii() && !params.smtputf8()) {
            return error(ReplyName.SMTPUTF8_REQUIRED.reply());
        }
        Reply notOwned = policy.sender(sender, authenticatedUser);
        if (notOwned != null) {
            return error(notOwned);
        }
        // RFC 1870 §6.1(1): no room now (for the declared size, if any): a temporary refusal, not an error.
        Reply noRoom = policy.storage(Math.max(0, params.size()));
        if (noRoom != null) {
            return respond(noRoom);
        }
        transaction = new Transaction(sender, params);
        return respond(ReplyName.SENDER_OK.reply());
    }

    private Action rcpt(String args) {
        if (transaction == null || transaction.isChunking()) {
            return error(ReplyName.BAD_SEQUENCE.reply());
        }
        if (!args.regionMatches(true, 0, "TO:", 0, 3)) {
            return error(ReplyName.COMMAND_SYNTAX.reply("RCPT TO:<address>"));
        }
        Mailbox recipient;
        int end;
        switch (PathParser.parse(args, 3, false)) {
            case PathParser.Result.Parsed parsed -> {
                recipient = parsed.mailbox();
                end = parsed.end();
            }
            case PathParser.Result.TooLong tooLong -> {
                return error(ReplyName.PATH_TOO_LONG.reply());
            }
            case PathParser.Result.NullPath nullPath -> {
                return error(ReplyName.BAD_RECIPIENT_SYNTAX.reply());
            }
            case PathParser.Result.Invalid invalid -> {
                return error(ReplyName.BAD_RECIPIENT_SYNTAX.reply());
            }
        }
        if (end < args.length() && args.charAt(end) != ' ') {
            return error(ReplyName.BAD_RECIPIENT_SYNTAX.reply());
        }
        String rest = args.substring(end);
        if (!esmtp && !rest.isBlank()) {
            return error(ReplyName.UNSUPPORTED_OPTION.reply(ParameterParser.echo(rest.strip())));
        }
        var outcome = ParameterParser.rcpt(rest);
        if (outcome.error() != null) {
            return error(outcome.error());
        }
        if (!recipient.isAscii() && !transaction.params().smtputf8()) {
            return error(ReplyName.SMTPUTF8_REQUIRED.reply());
        }
        // RFC 5321 §4.5.3.1.10: past our limit, 452 for each extra recipient; the others stay accepted.
        if (transaction.acceptedRcptCommands() >= settings.maxRecipients()) {
            return respond(ReplyName.TOO_MANY_RECIPIENTS.reply());
        }
        return switch (policy.recipient(recipient, authenticatedUser)) {
            case RecipientDecision.Local local -> accept(delivered(recipient), outcome.value(), true);
            case RecipientDecision.Relay relay -> accept(recipient, outcome.value(), false);
            case RecipientDecision.Refused refused -> error(refused.reply());
        };
    }

    /**
     * RFC 5321 §4.5.1: {@code <Postmaster>} without a domain is the postmaster of this server, so it is recorded
     * as the mailbox it is delivered to; then {@code <Postmaster>} and {@code <postmaster@primary>} in one
     * transaction are one recipient and get one copy.
     */
    private Mailbox delivered(Mailbox recipient) {
        return recipient.domain().isEmpty() ? new Mailbox(recipient.localPart(), policy.primaryDomain()) : recipient;
    }

    private Action accept(Mailbox recipient, RcptParameters params, boolean local) {
        transaction.addRecipient(new Transaction.Recipient(recipient, params, local));
        return respond(ReplyName.RECIPIENT_OK.reply());
    }

    private Action data(String args) {
        if (!args.isEmpty()) {
            return error(ReplyName.COMMAND_SYNTAX.reply("DATA"));
        }
        // RFC 3030 §2: DATA after BDAT in the same transaction is a sequence error.
        if (transaction == null || transaction.isChunking()) {
            return error(ReplyName.BAD_SEQUENCE.reply());
        }
        if (transaction.recipientCount() == 0) {
            return error(ReplyName.NO_VALID_RECIPIENTS.reply());
        }
        lastCommandEndsGroup = true;
        return new Action.ReceiveData(ReplyName.START_MAIL_INPUT.reply(), transaction);
    }

    /** Called by the session after it read DATA content up to CRLF.CRLF. */
    public Action dataEnded(DataOutcome outcome) {
        return contentEnded(outcome);
    }

    /** RFC 5321 §2.3.8: CR and LF only as CRLF, whether the content came by DATA or by BDAT. */
    private Action contentEnded(DataOutcome outcome) {
        if (outcome.bareLf()) {
            return rejectContent(ReplyName.BARE_LF_IN_DATA.reply());
        }
        if (outcome.bareCr()) {
            return rejectContent(ReplyName.BARE_CR_IN_DATA.reply());
        }
        return checkContent(outcome);
    }

    private Action checkContent(DataOutcome outcome) {
        transaction.contentSize(outcome.size());
        if (outcome.tooBig()) {
            return rejectContent(ReplyName.MESSAGE_TOO_BIG.reply());
        }
        // RFC 5321 §6.3: a loop shows as many trace fields; our threshold is at least 100.
        if (outcome.receivedHeaders() > settings.maxHops()) {
            return rejectContent(ReplyName.TOO_MANY_HOPS.reply());
        }
        Reply notOwned = policy.headerSenders(outcome.headerSenders(), authenticatedUser);
        if (notOwned != null) {
            return rejectContent(notOwned);
        }
        // The space may have gone while the content arrived: better a 452 now than a failed commit.
        Reply noRoom = policy.storage(0);
        if (noRoom != null) {
            return rejectContent(noRoom);
        }
        return new Action.Commit(transaction);
    }

    /**
     * Called by the session when a check it ran at the end of the content (mail authentication, which needs
     * DNS and so cannot run here) refuses the message instead of committing it.
     */
    public Action contentRefused(Reply reply) {
        return rejectContent(reply);
    }

    private Action rejectContent(Reply reply) {
        transaction = null;
        return error(reply);
    }

    /** Called once the session has made the message durable. */
    public Reply committed(String queueId) {
        transaction = null;
        // S-11 counts errors a client makes without delivering mail (as Postfix's smtpd_hard_error_limit): a
        // long session that delivers, with a stale recipient now and then, is not an abusive one.
        errors = 0;
        return ReplyName.QUEUED.reply(queueId);
    }

    /** Called when the spool could not store the message: it must not be delivered (RFC 5321 §4.2.5). */
    public Reply commitFailed() {
        return commitFailed(false);
    }

    /**
     * As {@link #commitFailed()}, and also when the content could not be written while it arrived: the
     * transaction ends with {@code 452 4.3.1} when the disk is full (RFC 5321 §4.5.3.1.10), {@code 451 4.3.0}
     * otherwise. The session goes on.
     */
    public Reply commitFailed(boolean outOfSpace) {
        transaction = null;
        return outOfSpace ? ReplyName.INSUFFICIENT_STORAGE.reply() : ReplyName.LOCAL_ERROR.reply();
    }

    // RFC 3030 §2: BDAT <size> [LAST]; the chunk follows the command and is never parsed as commands.
    private Action bdat(String args) {
        String[] parts = args.split(" ", -1);
        boolean last = parts.length == 2 && parts[1].equalsIgnoreCase("LAST");
        if (parts.length > 2 || (parts.length == 2 && !last) || parts[0].isEmpty() || parts[0].length() > 18
                || !parts[0].chars().allMatch(c -> c >= '0' && c <= '9')) {
            // The octet count is unknown, so the rest of the stream cannot be framed: reply and close.
            return new Action.Close(ReplyName.BDAT_SYNTAX.reply());
        }
        long size = Long.parseLong(parts[0]);
        if (settings.role().requiresAuth() && authenticatedUser == null) {
            return discard(size, ReplyName.AUTH_REQUIRED.reply());
        }
        if (transaction == null) {
            return discard(size, ReplyName.BAD_SEQUENCE.reply());
        }
        if (transaction.recipientCount() == 0) {
            return discard(size, ReplyName.NO_VALID_RECIPIENTS.reply());
        }
        if (transaction.chunkedOctets() + size > settings.maxMessageSize()) {
            transaction = null;
            return discard(size, ReplyName.CHUNK_TOO_BIG.reply());
        }
        transaction.addChunk(size);
        return new Action.ReceiveChunk(size, last, transaction);
    }

    private Action discard(long size, Reply reply) {
        countError(reply);
        return new Action.DiscardChunk(size, errorLimitReached() ? ReplyName.TOO_MANY_ERRORS.reply(settings.hostname())
                : reply);
    }

    /** Called after a BDAT chunk was read; {@code soFar} describes the content of all chunks so far. */
    public Action chunkEnded(long size, boolean last, DataOutcome soFar) {
        if (!last) {
            return respond(ReplyName.CHUNK_RECEIVED.reply(size));
        }
        return contentEnded(soFar);
    }

    private Action rset(String args) {
        if (!args.isEmpty()) {
            return error(ReplyName.COMMAND_SYNTAX.reply("RSET"));
        }
        transaction = null;
        return respond(ReplyName.OK.reply());
    }

    private Action help(String args) {
        if (args.isBlank() || HELP_TOPICS.contains(args.strip().toUpperCase(Locale.ROOT))) {
            return respond(ReplyName.HELP.reply());
        }
        return error(ReplyName.PARAMETER_NOT_IMPLEMENTED.reply());
    }

    private Action startTls(String args) {
        if (!args.isEmpty()) {
            return error(ReplyName.STARTTLS_NO_PARAMETERS.reply());
        }
        if (tlsActive) {
            return error(ReplyName.TLS_ALREADY_ACTIVE.reply());
        }
        if (heloName == null) {
            return error(ReplyName.SEND_HELO_FIRST.reply());
        }
        if (transaction != null) {
            return error(ReplyName.STARTTLS_DURING_TRANSACTION.reply());
        }
        if (!settings.tlsAvailable()) {
            return respond(ReplyName.TLS_UNAVAILABLE.reply());
        }
        lastCommandEndsGroup = true;
        return new Action.StartTls(ReplyName.STARTTLS_READY.reply());
    }

    /** RFC 3207 §4.2: after the handshake, forget everything learnt in plaintext. */
    public void tlsStarted(String protocol, String cipherSuite) {
        tlsActive = true;
        tlsDescription = "version=" + protocol + " cipher=" + cipherSuite;
        heloName = null;
        esmtp = false;
        transaction = null;
        authenticatedUser = null;
        saslExchange = null;
    }

    /** For implicit TLS, where the handshake happened before the greeting. */
    public void tlsEstablished(String protocol, String cipherSuite) {
        tlsActive = true;
        tlsDescription = "version=" + protocol + " cipher=" + cipherSuite;
    }

    private Action auth(String args) {
        if (!settings.role().requiresAuth() || sasl == null) {
            return error(ReplyName.AUTH_NOT_AVAILABLE.reply());
        }
        if (heloName == null) {
            return error(ReplyName.SEND_HELO_FIRST.reply());
        }
        if (authenticatedUser != null) {
            return error(ReplyName.ALREADY_AUTHENTICATED.reply());
        }
        if (transaction != null) {
            return error(ReplyName.AUTH_DURING_TRANSACTION.reply());
        }
        String[] parts = args.split(" ", -1);
        if (args.isEmpty() || parts.length > 2) {
            return error(ReplyName.COMMAND_SYNTAX.reply("AUTH mechanism [initial-response]"));
        }
        switch (authGate.check()) {
            case DISCONNECT -> {
                return new Action.Close(ReplyName.TOO_MANY_AUTH_FAILURES.reply(settings.hostname()));
            }
            case DELAY -> {
                return new Action.DelayedRespond(authGate.delay(), ReplyName.AUTH_THROTTLED.reply());
            }
            case ALLOW -> {
            }
        }
        Optional<SaslMechanism> mechanism = sasl.create(parts[0], tlsActive);
        if (mechanism.isEmpty()) {
            return error(ReplyName.AUTH_MECHANISM_UNKNOWN.reply());
        }
        byte[] initial = null;
        if (parts.length == 2) {
            if (parts[1].equals("*")) {
                return error(ReplyName.AUTH_ABORTED.reply());
            }
            initial = parts[1].equals("=") ? new byte[0] : base64(parts[1]);
            if (initial == null) {
                return error(ReplyName.AUTH_CANNOT_DECODE.reply());
            }
        }
        saslExchange = mechanism.get();
        byte[] first = initial;
        return saslStep(() -> saslExchange.start(first));
    }

    private Action saslResponse(byte[] bytes, int length, LineFault fault) {
        if (fault == LineFault.TOO_LONG) {
            saslExchange = null;
            return error(ReplyName.AUTH_LINE_TOO_LONG.reply());
        }
        String line = fault == LineFault.NONE ? decode(bytes, length) : null;
        if (line == null) {
            saslExchange = null;
            return error(ReplyName.AUTH_CANNOT_DECODE.reply());
        }
        line = stripTrailingWhitespace(line);
        if (line.equals("*")) {
            saslExchange = null;
            return error(ReplyName.AUTH_ABORTED.reply());
        }
        byte[] response = base64(line);
        if (response == null) {
            saslExchange = null;
            return error(ReplyName.AUTH_CANNOT_DECODE.reply());
        }
        return saslStep(() -> saslExchange.respond(response));
    }

    /**
     * Runs one step of the exchange. A credential source that cannot be read (users file, passwd-file, database)
     * is a temporary failure, {@code 454 4.7.0} (SMTP-CONFORMANCE A-8), not counted against the client.
     */
    private Action saslStep(java.util.function.Supplier<SaslStep> next) {
        SaslStep step;
        try {
            step = next.get();
        } catch (java.io.UncheckedIOException e) {
            // The users file, passwd-file or database (its StoreException is one of these): one line, no trace.
            org.slf4j.LoggerFactory.getLogger(SmtpProtocol.class)
                    .warn("AUTH: credentials unavailable, answered 454: {}", e.getMessage());
            saslExchange = null;
            return respond(ReplyName.AUTH_TEMPORARY_FAILURE.reply());
        }
        return switch (step) {
            case SaslStep.Challenge challenge -> {
                lastCommandEndsGroup = true;
                yield respond(ReplyName.AUTH_CHALLENGE.reply(Base64.getEncoder().encodeToString(challenge.data())));
            }
            case SaslStep.Success success -> {
                saslExchange = null;
                // A user under attack is refused even with the right password until the window passes.
                if (authGate.checkUser(success.identity()) != AuthGate.Verdict.ALLOW) {
                    yield new Action.DelayedRespond(authGate.delay(), ReplyName.AUTH_THROTTLED.reply());
                }
                authenticatedUser = success.identity();
                authGate.succeeded(success.identity());
                yield respond(ReplyName.AUTH_SUCCEEDED.reply());
            }
            case SaslStep.Failure failure -> {
                saslExchange = null;
                // A user locked by failures from elsewhere gets 454 for a wrong password as for the right one:
                // a 535 for wrong guesses only would tell a guesser spread over many addresses which was right.
                boolean locked = failure.user() != null
                        && authGate.checkUser(failure.user()) != AuthGate.Verdict.ALLOW;
                authGate.failed(failure.user());
                if (locked) {
                    yield new Action.DelayedRespond(authGate.delay(), ReplyName.AUTH_THROTTLED.reply());
                }
                yield error(failure.reply().reply());
            }
        };
    }

    private Action respond(Reply reply) {
        return new Action.Respond(reply);
    }

    /** A 5xx reply counts towards the error limit (SMTP-CONFORMANCE S-11); past it, 421 and close. */
    private Action error(Reply reply) {
        countError(reply);
        if (errorLimitReached()) {
            return new Action.Close(ReplyName.TOO_MANY_ERRORS.reply(settings.hostname()));
        }
        return new Action.Respond(reply);
    }

    private void countError(Reply reply) {
        if (reply.isPermanent()) {
            errors++;
        }
    }

    private boolean errorLimitReached() {
        return errors > settings.maxErrors();
    }

    private static byte[] base64(String text) {
        try {
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Strict UTF-8; null when the bytes are not valid UTF-8 or contain NUL or other controls. */
    private static String decode(byte[] bytes, int length) {
        for (int i = 0; i < length; i++) {
            byte b = bytes[i];
            if (b >= 0 && b < 32 && b != '\t') {
                return null;
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, 0, length)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    private static String stripTrailingWhitespace(String s) {
        int end = s.length();
        while (end > 0 && (s.charAt(end - 1) == ' ' || s.charAt(end - 1) == '\t')) {
            end--;
        }
        return s.substring(0, end);
    }

    // State the session reads for logs, trace headers and the spool.

    public Transaction transaction() {
        return transaction;
    }

    public String heloName() {
        return heloName;
    }

    public String authenticatedUser() {
        return authenticatedUser;
    }

    public boolean tlsActive() {
        return tlsActive;
    }

    /** True while an AUTH exchange waits for the client's next response line (which is no command). */
    public boolean inAuthExchange() {
        return saslExchange != null;
    }

    /**
     * The verb of the command the next reply answers: a known SMTP verb (a closed set: metrics label it),
     * "UNKNOWN" for anything else, "CONNECT" for the greeting; the lines of an AUTH exchange stay "AUTH".
     */
    public String lastVerb() {
        return lastVerb;
    }

    /** True after EHLO, HELO, DATA or STARTTLS: nothing may follow them in the same pipelined group. */
    public boolean lastCommandEndsGroup() {
        return lastCommandEndsGroup && settings.forbidUnauthPipelining() && authenticatedUser == null;
    }

    /** The {@code with} protocol of the Received: field (RFC 3848, RFC 6531 §3.7.3). */
    public String withProtocol(boolean smtputf8) {
        if (!esmtp) {
            return "SMTP";
        }
        String suffix = (tlsActive ? "S" : "") + (authenticatedUser != null ? "A" : "");
        return (smtputf8 ? "UTF8SMTP" : "ESMTP") + suffix;
    }

    public String tlsDescription() {
        return tlsDescription;
    }
}
