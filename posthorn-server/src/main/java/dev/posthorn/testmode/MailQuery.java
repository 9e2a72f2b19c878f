package dev.posthorn.testmode;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * Which captured messages a test waits for or looks at: every condition given must hold. Addresses compare
 * without regard to case; envelope recipients and To:/Cc: both count for {@link #to}, the envelope sender and
 * From: for {@link #from}.
 */
public record MailQuery(String to, String from, String subject, String subjectContains, String textContains)
        implements Predicate<CapturedMessage> {

    public static final MailQuery ANY = new MailQuery(null, null, null, null, null);

    public static MailQuery any() {
        return ANY;
    }

    public MailQuery to(String address) {
        return new MailQuery(address, from, subject, subjectContains, textContains);
    }

    public MailQuery from(String address) {
        return new MailQuery(to, address, subject, subjectContains, textContains);
    }

    public MailQuery subject(String exact) {
        return new MailQuery(to, from, exact, subjectContains, textContains);
    }

    public MailQuery subjectContains(String part) {
        return new MailQuery(to, from, subject, part, textContains);
    }

    public MailQuery textContains(String part) {
        return new MailQuery(to, from, subject, subjectContains, part);
    }

    @Override
    public boolean test(CapturedMessage m) {
        if (to != null && !containsIgnoringCase(concat(m.envelopeRecipients(), m.to(), m.cc()), to)) {
            return false;
        }
        if (from != null && !containsIgnoringCase(concat(List.of(m.envelopeSender()), m.from()), from)) {
            return false;
        }
        if (subject != null && !subject.equals(m.subject())) {
            return false;
        }
        if (subjectContains != null && (m.subject() == null || !m.subject().contains(subjectContains))) {
            return false;
        }
        return textContains == null || (m.text() != null && m.text().contains(textContains))
                || (m.html() != null && m.html().contains(textContains));
    }

    /** The query as a test reads it: {@code to=bob@x.test subject="Hi"}; "any message" when empty. */
    public String describe() {
        List<String> parts = new ArrayList<>();
        if (to != null) {
            parts.add("to=" + to);
        }
        if (from != null) {
            parts.add("from=" + from);
        }
        if (subject != null) {
            parts.add("subject=\"" + subject + "\"");
        }
        if (subjectContains != null) {
            parts.add("subject contains \"" + subjectContains + "\"");
        }
        if (textContains != null) {
            parts.add("text contains \"" + textContains + "\"");
        }
        return parts.isEmpty() ? "any message" : String.join(" ", parts);
    }

    @SafeVarargs
    private static List<String> concat(List<String>... lists) {
        List<String> all = new ArrayList<>();
        for (List<String> l : lists) {
            all.addAll(l);
        }
        return all;
    }

    private static boolean containsIgnoringCase(List<String> addresses, String wanted) {
        String w = wanted.toLowerCase(Locale.ROOT);
        return addresses.stream().anyMatch(a -> a.toLowerCase(Locale.ROOT).equals(w));
    }
}
