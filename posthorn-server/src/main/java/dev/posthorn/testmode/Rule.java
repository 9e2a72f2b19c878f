package dev.posthorn.testmode;

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
