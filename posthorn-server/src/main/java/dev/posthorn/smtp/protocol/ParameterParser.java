package dev.posthorn.smtp.protocol;

import dev.posthorn.codes.Reply;
import dev.posthorn.codes.ReplyName;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Parses the {@code esmtp-param} lists after the path of MAIL and RCPT (RFC 5321 §4.1.2):
 * {@code esmtp-keyword ["=" esmtp-value]} separated by single spaces. A parameter we do not implement gets
 * 555 (§4.1.1.11); a malformed or repeated one 501.
 */
final class ParameterParser {

    /** Either parsed parameters or the reply that refuses them. */
    record Outcome<T>(T value, Reply error) {
        static <T> Outcome<T> ok(T value) {
            return new Outcome<>(value, null);
        }

        static <T> Outcome<T> fail(Reply error) {
            return new Outcome<>(null, error);
        }
    }

    private ParameterParser() {
    }

    /**
     * @param authOffered whether this port has the AUTH extension at all; where it has not (MX), AUTH= is the
     *     parameter of an extension that is not advertised and gets 555 (RFC 5321 §4.1.1.11)
     */
    static Outcome<MailParameters> mail(String params, long maxSize, boolean authOffered) {
        long size = -1;
        String body = null;
        String ret = null;
        String envid = null;
        String auth = null;
        boolean smtputf8 = false;
        List<Param> list = parse(params);
        if (list == null) {
            return Outcome.fail(ReplyName.SYNTAX_ERROR_IN_ARGUMENTS.reply());
        }
        for (Param p : list) {
            String param = p.raw();
            String value = p.value();
            boolean repeated = p.repeated();
            switch (p.keyword()) {
                case "SIZE" -> {
                    // RFC 1870 §6: size-value = 1*20DIGIT, and only one SIZE.
                    if (repeated || value == null || value.length() > 20 || !allDigits(value)) {
                        return Outcome.fail(ReplyName.BAD_SIZE_SYNTAX.reply());
                    }
                    // Leading zeros are allowed by the grammar and do not make a size big (RFC 1870 §4).
                    String digits = value.replaceFirst("^0+(?=.)", "");
                    size = digits.length() > 18 ? Long.MAX_VALUE : Long.parseLong(digits);
                    if (size > maxSize) {
                        return Outcome.fail(ReplyName.MESSAGE_TOO_BIG.reply());
                    }
                }
                case "BODY" -> {
                    String upper = value == null ? "" : value.toUpperCase(Locale.ROOT);
                    if (repeated || !(upper.equals("7BIT") || upper.equals("8BITMIME"))) {
                        return Outcome.fail(ReplyName.BAD_BODY_VALUE.reply());
                    }
                    body = upper;
                }
                case "SMTPUTF8" -> {
                    if (repeated || value != null) {
                        return Outcome.fail(ReplyName.BAD_PARAMETER_SYNTAX.reply("SMTPUTF8"));
                    }
                    smtputf8 = true;
                }
                case "RET" -> {
                    String upper = value == null ? "" : value.toUpperCase(Locale.ROOT);
                    if (repeated || !(upper.equals("FULL") || upper.equals("HDRS"))) {
                        return Outcome.fail(ReplyName.BAD_PARAMETER_SYNTAX.reply("RET"));
                    }
                    ret = upper;
                }
                case "ENVID" -> {
                    // RFC 3461 §4.4: xtext, at most 100 characters.
                    if (repeated || value == null || value.length() > 100 || !Xtext.isValid(value)) {
                        return Outcome.fail(ReplyName.BAD_PARAMETER_SYNTAX.reply("ENVID"));
                    }
                    envid = value;
                }
                case "AUTH" -> {
                    if (!authOffered) {
                        return Outcome.fail(ReplyName.UNSUPPORTED_OPTION.reply(echo(param)));
                    }
                    // RFC 4954 §5: AUTH=<> or AUTH=xtext mailbox. Accepted even unauthenticated; whether it is
                    // trusted is decided by the session (untrusted values count as AUTH=<>).
                    if (repeated || value == null || !(value.equals("<>") || Xtext.isValid(value))) {
                        return Outcome.fail(ReplyName.BAD_PARAMETER_SYNTAX.reply("AUTH"));
                    }
                    auth = value;
                }
                default -> {
                    return Outcome.fail(ReplyName.UNSUPPORTED_OPTION.reply(echo(param)));
                }
            }
        }
        return Outcome.ok(new MailParameters(size, body, smtputf8, ret, envid, auth));
    }

    static Outcome<RcptParameters> rcpt(String params) {
        Set<String> notify = Set.of();
        String orcpt = null;
        List<Param> list = parse(params);
        if (list == null) {
            return Outcome.fail(ReplyName.SYNTAX_ERROR_IN_ARGUMENTS.reply());
        }
        for (Param p : list) {
            String param = p.raw();
            String value = p.value();
            boolean repeated = p.repeated();
            switch (p.keyword()) {
                case "NOTIFY" -> {
                    notify = repeated || value == null ? null : notifyList(value);
                    if (notify == null) {
                        return Outcome.fail(ReplyName.BAD_PARAMETER_SYNTAX.reply("NOTIFY"));
                    }
                }
                case "ORCPT" -> {
                    // RFC 3461 §4.2: ORCPT=addr-type ";" xtext, at most 500 characters.
                    int semi = value == null ? -1 : value.indexOf(';');
                    if (repeated || semi <= 0 || value.length() > 500 || !isKeyword(value.substring(0, semi))
                            || !Xtext.isValid(value.substring(semi + 1)) || semi == value.length() - 1) {
                        return Outcome.fail(ReplyName.BAD_PARAMETER_SYNTAX.reply("ORCPT"));
                    }
                    orcpt = value;
                }
                default -> {
                    return Outcome.fail(ReplyName.UNSUPPORTED_OPTION.reply(echo(param)));
                }
            }
        }
        return Outcome.ok(new RcptParameters(notify, orcpt));
    }

    /** RFC 3461 §4.1: NEVER alone, or a list of SUCCESS, FAILURE, DELAY without repeats. Null if malformed. */
    private static Set<String> notifyList(String value) {
        Set<String> items = new LinkedHashSet<>();
        for (String item : value.toUpperCase(Locale.ROOT).split(",", -1)) {
            boolean known = item.equals("NEVER") || item.equals("SUCCESS") || item.equals("FAILURE")
                    || item.equals("DELAY");
            if (!known || !items.add(item)) {
                return null;
            }
        }
        if (items.contains("NEVER") && items.size() > 1) {
            return null;
        }
        return Set.copyOf(items);
    }

    /** Longest parameter quoted back in a 555; the reply line stays within 512 octets (RFC 5321 §4.5.3.1.5). */
    private static final int MAX_ECHO = 64;

    /**
     * A client's parameter as it may be quoted in a reply: printable US-ASCII only (replies are ASCII, RFC 5321
     * §2.4), cut to {@link #MAX_ECHO} characters, so an over-long or 8-bit parameter cannot make a bad reply.
     */
    static String echo(String param) {
        StringBuilder out = new StringBuilder(Math.min(param.length(), MAX_ECHO + 3));
        for (int i = 0; i < param.length() && out.length() < MAX_ECHO; i++) {
            char c = param.charAt(i);
            out.append(c >= 32 && c <= 126 ? c : '?');
        }
        if (param.length() > MAX_ECHO) {
            out.append("...");
        }
        return out.toString();
    }

    /** One {@code esmtp-param}: keyword upper-cased, value as sent (null without "="). */
    private record Param(String raw, String keyword, String value, boolean repeated) {
    }

    /** Splits and checks the syntax of every parameter; null when any is malformed. */
    private static List<Param> parse(String params) {
        List<Param> parsed = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (String param : split(params)) {
            int eq = param.indexOf('=');
            String keyword = (eq < 0 ? param : param.substring(0, eq)).toUpperCase(Locale.ROOT);
            String value = eq < 0 ? null : param.substring(eq + 1);
            if (!isKeyword(keyword) || (value != null && !isValue(value))) {
                return null;
            }
            parsed.add(new Param(param, keyword, value, !seen.add(keyword)));
        }
        return parsed;
    }

    private static String[] split(String params) {
        String trimmed = params.strip();
        return trimmed.isEmpty() ? new String[0] : trimmed.split(" ", -1);
    }

    /** {@code esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")}. */
    static boolean isKeyword(String s) {
        if (s.isEmpty() || s.charAt(0) == '-') {
            return false;
        }
        return s.chars().allMatch(c -> (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                || c == '-');
    }

    /** {@code esmtp-value = 1*(%d33-60 / %d62-126)}: printable ASCII except "=". */
    private static boolean isValue(String s) {
        return !s.isEmpty() && s.chars().allMatch(c -> c >= 33 && c <= 126 && c != '=');
    }

    private static boolean allDigits(String s) {
        return !s.isEmpty() && s.chars().allMatch(c -> c >= '0' && c <= '9');
    }
}
