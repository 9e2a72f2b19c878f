package dev.posthorn.smtp.protocol;

import dev.posthorn.policy.HeaderFrom;

/**
 * What the session saw while reading message content: its size after unstuffing, whether it went over the
 * limit (then nothing more was stored), bare CR or LF (SMTP smuggling, RFC 5321 §2.3.8), and what the
 * header section said that policy needs (trace field count for loop detection, the From:/Sender: mailboxes).
 */
public record DataOutcome(long size, boolean tooBig, boolean bareLf, boolean bareCr, int receivedHeaders,
        HeaderFrom.Result headerSenders) {
}
