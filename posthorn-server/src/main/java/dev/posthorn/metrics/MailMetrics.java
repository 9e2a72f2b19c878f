package dev.posthorn.metrics;

import java.time.Duration;

/**
 * What the mail path tells the operator's counters: listeners, sessions, the spool and the queue report here
 * and never see Micrometer. Passed down by constructor; {@link #NONE} where nothing is measured (tests that
 * build one layer alone). Every label value comes from a closed set (listener roles, SMTP verbs, the codes of
 * the catalogue, transports), so no client can make the label space grow.
 */
public interface MailMetrics {

    /** Measures nothing. */
    MailMetrics NONE = new MailMetrics() {
    };

    /** A TCP connection reached a listener ({@code port}: "mx", "submission", "submissions"), admitted or not. */
    default void connectionOpened(String port) {
    }

    /** An admitted session started ({@code active} +1) ... */
    default void sessionStarted(String port) {
    }

    /** ... and ended ({@code active} -1). */
    default void sessionEnded(String port) {
    }

    /**
     * The server answered {@code command} (an SMTP verb, or "CONNECT" for the greeting) with {@code code} and
     * {@code enhanced} (RFC 3463; null when the reply has none).
     */
    default void reply(String port, String command, int code, String enhanced) {
    }

    /** A message was accepted with 250: its size, and the time from its last octet to the 250. */
    default void accepted(String port, long bytes, Duration acceptance) {
    }

    /**
     * A transaction ended refused: it got no 250 for a message and MAIL, RCPT or the content (DATA, BDAT) was
     * answered 4xx or 5xx (not 421, not 503). Called once per transaction, with the first refusal's codes.
     */
    default void rejected(String port, int code, String enhanced) {
    }

    /** AUTH was answered 535: the credentials were wrong (RFC 4954 §6). */
    default void authFailed(String port) {
    }

    /** A session runs TLS, negotiated with STARTTLS or implicit ("TLSv1.3"). */
    default void tls(String port, String version) {
    }

    /**
     * One delivery attempt for one recipient: {@code transport} "maildir", "lmtp", "route", "mx" or "relay";
     * {@code result} "delivered", "deferred", "bounced" or "expired"; {@code sinceReceived} the time since the
     * message was accepted; {@code first} whether it was the recipient's first attempt.
     */
    default void deliveryAttempt(String transport, String result, Duration sinceReceived, boolean first) {
    }
}
