package dev.posthorn.testmode;

import dev.posthorn.codes.Reply;
import dev.posthorn.smtp.session.ReplyScript;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One scripted rule: at a stage, for commands whose sender and recipient match the patterns (glob: {@code *} any
 * run of characters, {@code ?} one; case-insensitive; null matches anything), a {@link Behaviour}. A pattern on the
 * recipient matches the RCPT address at RCPT and any accepted recipient at DATA and END_OF_DATA; at earlier stages
 * no recipient is known, so such a rule does not match there. A pattern on the sender likewise from MAIL on.
 */
public record Rule(ReplyScript.Stage stage, String sender, String recipient, Behaviour behaviour) {

    public Rule {
        Objects.requireNonNull(stage, "stage");
        Objects.requireNonNull(behaviour, "behaviour");
        Reply reply = switch (behaviour) {
            case Behaviour.Answer answer -> answer.reply();
            case Behaviour.FailFirst failFirst -> failFirst.reply();
            default -> null;
        };
        if (reply != null && reply.code() < 400 && !positiveCodes(stage).contains(reply.code())) {
            throw new IllegalArgumentException("a scripted positive reply at " + stage + " must have the code the "
                    + "server answers there (" + positiveCodes(stage).stream().map(String::valueOf)
                    .collect(java.util.stream.Collectors.joining(" or ")) + "), not " + reply.code()
                    + ": another code would put the client out of step with the session");
        }
    }

    /**
     * The positive codes the server itself answers at a stage (RFC 5321 §4.3.2; RFC 3207 §4 for STARTTLS, RFC 4954
     * §4 for AUTH's 334 challenge and 235): a scripted positive reply may change their text, not their meaning.
     */
    static List<Integer> positiveCodes(ReplyScript.Stage stage) {
        return switch (stage) {
            case CONNECT, STARTTLS -> List.of(220);
            case AUTH -> List.of(334, 235);
            case DATA -> List.of(354);
            case EHLO, MAIL, RCPT, END_OF_DATA -> List.of(250);
        };
    }

    boolean matches(ReplyScript.Moment moment) {
        if (moment.stage() != stage) {
            return false;
        }
        if (sender != null && !matchesAny(sender, senderOf(moment))) {
            return false;
        }
        return recipient == null || matchesAny(recipient, recipientsOf(moment));
    }

    static String senderOf(ReplyScript.Moment moment) {
        return moment.stage() == ReplyScript.Stage.MAIL ? moment.address() : moment.sender();
    }

    static List<String> recipientsOf(ReplyScript.Moment moment) {
        return switch (moment.stage()) {
            case RCPT -> moment.address() == null ? List.of() : List.of(moment.address());
            case DATA, END_OF_DATA -> moment.recipients();
            default -> List.of();
        };
    }

    private static boolean matchesAny(String glob, String address) {
        return address != null && matchesAny(glob, List.of(address));
    }

    private static boolean matchesAny(String glob, List<String> addresses) {
        Pattern pattern = glob(glob);
        return addresses.stream().anyMatch(a -> pattern.matcher(a).matches());
    }

    static Pattern glob(String glob) {
        StringBuilder regex = new StringBuilder();
        for (char c : glob.toCharArray()) {
            switch (c) {
                case '*' -> regex.append(".*");
                case '?' -> regex.append('.');
                default -> regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(regex.toString(), Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
    }

    /** For failure messages: "at RCPT for recipient *@x.test: 550 5.1.1 ...". */
    public String describe() {
        StringBuilder s = new StringBuilder("at ").append(stage);
        if (sender != null) {
            s.append(" for sender ").append(sender);
        }
        if (recipient != null) {
            s.append(" for recipient ").append(recipient);
        }
        return s.append(": ").append(behaviour).toString();
    }
}
