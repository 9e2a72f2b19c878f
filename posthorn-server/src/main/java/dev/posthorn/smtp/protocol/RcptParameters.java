package dev.posthorn.smtp.protocol;

import java.util.Set;

/** The DSN parameters of RCPT TO (RFC 3461 §4.1, §4.2): NOTIFY (empty = not given) and ORCPT. */
public record RcptParameters(Set<String> notifyOn, String orcpt) {

    public static final RcptParameters NONE = new RcptParameters(Set.of(), null);
}
