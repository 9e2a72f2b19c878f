package dev.posthorn.codes;

import dev.posthorn.codes.ReplyFinding.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks a pasted reply against the rules for enhanced codes of RFC 2034 §4: they must appear on 2xx, 4xx and 5xx
 * replies "other than initial greeting and any response to HELO or EHLO" (3xx replies are "NOT included in this
 * list": not required there, not forbidden, so a code on them is a note, not a fault), their
 * class agrees with the reply's first digit, and "the same status code must appear at the beginning of the text
 * in each line" of a multiline reply; and against RFC 5321 §4.2.1: the same reply code on each line.
 */
final class ReplyRules {

    // The greeting and the EHLO reply start their text with the server's name (RFC 5321 §4.2 "Greeting",
    // §4.1.1.1 "ehlo-ok-rsp"): a dotted domain or an address literal. "Ready to start TLS" does not.
    // Labels are checked one by one: a regex repeating a label group recurses once per label, and a pasted
    // "a.a.a...." of a few kilobytes overflowed the stack. RFC 1035 §2.3.4: 63 octets a label, 255 a name.
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
    private static final Pattern ADDRESS_LITERAL = Pattern.compile("\\[[^\\]]{1,253}]");
    private static final int MAX_NAME = 255;
    // Keywords of the IANA SMTP Service Extensions registry that EHLO replies commonly list.
    private static final Set<String> EXTENSIONS = Set.of("8BITMIME", "AUTH", "BINARYMIME", "BURL", "CHUNKING",
            "DELIVERBY", "DSN", "ENHANCEDSTATUSCODES", "ETRN", "EXPN", "FUTURERELEASE", "HELP", "LIMITS",
            "MT-PRIORITY", "PIPELINING", "REQUIRETLS", "RRVS", "SIZE", "SMTPUTF8", "STARTTLS", "VRFY");

    private ReplyRules() {
    }

    static List<ReplyFinding> check(PastedReply reply) {
        List<ReplyFinding> found = new ArrayList<>();
        String code = reply.code();
        if (reply.lineCodes().size() > 1) {
            found.add(new ReplyFinding(Kind.CODES_DIFFER, code, null, reply.lineCodes()));
        }
        List<String> enhanced = reply.enhancedCodes();
        if (enhanced.isEmpty()) {
            return found;
        }
        String first = enhanced.getFirst();
        if (code.charAt(0) == '3') {
            found.add(new ReplyFinding(Kind.ENHANCED_ON_3XX, code, first, List.of()));
            return found;
        }
        if (code.equals("220") && startsWithHostName(reply.lines().getFirst())) {
            found.add(new ReplyFinding(Kind.ENHANCED_ON_GREETING, code, first, List.of()));
            return found;
        }
        // Any 250 may start with a dotted word ("250 2.1.5 Fred.Smith <fred@example.com>"): only the paste shows
        // an EHLO reply, by the command before it or by the extension keywords on its lines.
        if (code.equals("250") && (reply.answersHello() || listsExtensions(reply))) {
            found.add(new ReplyFinding(Kind.ENHANCED_ON_EHLO, code, first, List.of()));
            return found;
        }
        for (String e : enhanced) {
            if (e.charAt(0) != code.charAt(0)) {
                found.add(new ReplyFinding(Kind.CLASS_MISMATCH, code, e, List.of()));
            }
        }
        if (enhanced.size() > 1) {
            found.add(new ReplyFinding(Kind.ENHANCED_DIFFERS, code, null, enhanced));
        } else if (reply.enhancedOnSomeLinesOnly()) {
            found.add(new ReplyFinding(Kind.ENHANCED_MISSING, code, first, List.of()));
        }
        return found;
    }

    /** RFC 5321 §4.1.1.1: after the first line, an EHLO reply lists one extension keyword a line. */
    private static boolean listsExtensions(PastedReply reply) {
        return reply.lines().stream().skip(1)
                .map(l -> l.text().strip().split("[\\s=]", 2)[0].toUpperCase(Locale.ROOT))
                .anyMatch(EXTENSIONS::contains);
    }

    private static boolean startsWithHostName(ReplyLine line) {
        String word = line.text().strip().split("\\s+", 2)[0];
        if (word.length() > MAX_NAME) {
            return false;
        }
        if (ADDRESS_LITERAL.matcher(word).matches()) {
            return true;
        }
        String name = word.endsWith(".") ? word.substring(0, word.length() - 1) : word;
        String[] labels = name.split("\\.", -1);
        if (labels.length < 2) {
            return false;
        }
        for (String label : labels) {
            if (!LABEL.matcher(label).matches()) {
                return false;
            }
        }
        return true;
    }
}
