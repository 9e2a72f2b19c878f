package dev.posthorn.smtp.protocol;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.posthorn.codes.Reply;
import dev.posthorn.policy.HeaderFrom;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Coverage-guided fuzzing of the command side (Jazzer): command lines as the CRLF scanner hands them over, with
 * whatever fault it reported, through the protocol state machine, its path parser (RFC 5321 §4.1.2) and its
 * parameter parser (SIZE, BODY, DSN, AUTH=). Nothing may throw, every line gets exactly one action, and every
 * reply is well formed. Regression inputs in {@code CommandLineFuzzTestInputs/}; {@code JAZZER_FUZZ=1} fuzzes.
 */
class CommandLineFuzzTest {

    private static final LineFault[] FAULTS = LineFault.values();

    @FuzzTest(maxDuration = "3m")
    void anySequenceOfLinesGetsOneWellFormedReplyEach(FuzzedDataProvider data) {
        ProtocolHarness harness = new ProtocolHarness(data.consumeBoolean(), data.consumeInt(1, 30));
        SmtpProtocol protocol = harness.protocol;
        int lines = 0;
        while (data.remainingBytes() > 0 && lines++ < 64) {
            LineFault fault = FAULTS[data.consumeInt(0, FAULTS.length - 1)];
            byte[] line = data.consumeBytes(data.consumeInt(0, 13_000));
            if (!follow(protocol, protocol.onLine(line, line.length, fault), data)) {
                return;
            }
        }
    }

    @FuzzTest(maxDuration = "3m")
    void pathsAndParametersParseOrAreRefusedNeverThrow(FuzzedDataProvider data) {
        boolean mail = data.consumeBoolean();
        String args = data.consumeString(600);
        int offset = Math.min(args.length(), data.consumeInt(0, 8));
        switch (PathParser.parse(args, offset, mail)) {
            case PathParser.Result.Parsed parsed -> {
                check(parsed.end() >= offset && parsed.end() <= args.length(), "end outside the argument");
                check(parsed.mailbox().address().contains("@") || parsed.mailbox().domain().isEmpty(),
                        "a parsed mailbox without @");
                check(parsed.mailbox().localPart().length() <= PathParser.MAX_LOCAL_PART * 4, "local part too long");
            }
            case PathParser.Result.NullPath nullPath -> check(mail, "<> accepted as a recipient");
            case PathParser.Result.Invalid invalid -> { }
            case PathParser.Result.TooLong tooLong -> { }
        }
        String params = data.consumeRemainingAsString();
        var mailParams = ParameterParser.mail(params, data.consumeLong(0, Long.MAX_VALUE), true);
        check((mailParams.error() == null) != (mailParams.value() == null), "mail parameters: both or neither");
        if (mailParams.error() != null) {
            wellFormed(mailParams.error());
        }
        var rcptParams = ParameterParser.rcpt(params);
        check((rcptParams.error() == null) != (rcptParams.value() == null), "rcpt parameters: both or neither");
        if (rcptParams.error() != null) {
            wellFormed(rcptParams.error());
        }
        check(ParameterParser.echo(params).length() <= 600 + 100, "echo grew the parameter");
    }

    /** Carries out an action as the session would; false once the session ends. */
    private static boolean follow(SmtpProtocol protocol, Action action, FuzzedDataProvider data) {
        switch (action) {
            case Action.Respond respond -> wellFormed(respond.reply());
            case Action.DelayedRespond delayed -> wellFormed(delayed.reply());
            case Action.Close close -> {
                wellFormed(close.reply());
                return false;
            }
            case Action.DiscardChunk discard -> {
                wellFormed(discard.reply());
                return discard.reply().code() != 421;
            }
            case Action.ReceiveData receive -> {
                check(receive.goAhead().code() == 354, "DATA go-ahead is not 354");
                return follow(protocol, protocol.dataEnded(outcome(data)), data);
            }
            case Action.ReceiveChunk chunk -> {
                return follow(protocol, protocol.chunkEnded(chunk.size(), chunk.last(), outcome(data)), data);
            }
            case Action.Commit commit -> {
                check(commit.transaction().recipientCount() > 0, "a commit without recipients");
                wellFormed(data.consumeBoolean() ? protocol.committed("Q1") : protocol.commitFailed(data.consumeBoolean()));
            }
            case Action.StartTls startTls -> {
                wellFormed(startTls.ready());
                protocol.tlsStarted("TLSv1.3", "TLS_AES_128_GCM_SHA256");
            }
        }
        return true;
    }

    private static DataOutcome outcome(FuzzedDataProvider data) {
        HeaderFrom.Result senders = switch (data.consumeInt(0, 3)) {
            case 0 -> new HeaderFrom.Absent();
            case 1 -> new HeaderFrom.Unexamined();
            case 2 -> new HeaderFrom.Malformed("fuzzed");
            default -> new HeaderFrom.Mailboxes(List.of(new HeaderFrom.Address(data.consumeString(20),
                    data.consumeString(20))), List.of());
        };
        return new DataOutcome(data.consumeLong(0, 1L << 40), data.consumeBoolean(), data.consumeBoolean(),
                data.consumeBoolean(), data.consumeInt(0, 200), senders);
    }

    /** RFC 5321 §4.2: a code 2xx-5xx; the ESC class its first digit; no CR, LF or NUL in a line; 512 octets. */
    static void wellFormed(Reply reply) {
        check(reply.code() >= 200 && reply.code() <= 599, "reply code " + reply.code());
        if (reply.enhanced() != null) {
            check(reply.enhanced().charAt(0) == Integer.toString(reply.code()).charAt(0), "ESC class " + reply);
        }
        for (String line : reply.lines()) {
            check(line.indexOf('\r') < 0 && line.indexOf('\n') < 0 && line.indexOf('\0') < 0, "control in " + line);
        }
        for (String line : reply.wire().split("\r\n")) {
            check(line.getBytes(StandardCharsets.UTF_8).length <= 510, "reply line over 512 octets: " + line);
        }
    }

    private static void check(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError(what);
        }
    }
}
