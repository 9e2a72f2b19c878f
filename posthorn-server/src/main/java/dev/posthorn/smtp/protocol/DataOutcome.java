package dev.posthorn.smtp.protocol;

import dev.posthorn.policy.HeaderFrom;
import java.util.function.Supplier;

/**
 * What the session saw while reading message content: its size after unstuffing, whether it went over the
 * limit (then nothing more was stored), bare CR or LF (SMTP smuggling, RFC 5321 §2.3.8), and what the
 * header section said that policy needs (trace field count for loop detection, the From:/Sender: mailboxes).
 * The mailboxes are read only when asked for: parsing From: costs real work (mime4j, up to 64 KiB), and only
 * sender binding of an authenticated session needs it, once, at the end of the content.
 */
public record DataOutcome(long size, boolean tooBig, boolean bareLf, boolean bareCr, int receivedHeaders,
        Supplier<HeaderFrom.Result> headerSenders) {

    /** With the header's verdict known already. */
    public DataOutcome(long size, boolean tooBig, boolean bareLf, boolean bareCr, int receivedHeaders,
            HeaderFrom.Result headerSenders) {
        this(size, tooBig, bareLf, bareCr, receivedHeaders, () -> headerSenders);
    }
}
