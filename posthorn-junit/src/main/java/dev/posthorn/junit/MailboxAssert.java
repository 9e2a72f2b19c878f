package dev.posthorn.junit;

import dev.posthorn.testmode.CapturedMessage;
import dev.posthorn.testmode.MailQuery;
import java.util.List;
import org.assertj.core.api.AbstractAssert;

/** Assertions on the mail a test's server captured. */
public final class MailboxAssert extends AbstractAssert<MailboxAssert, PosthornExtension> {

    MailboxAssert(PosthornExtension actual) {
        super(actual, MailboxAssert.class);
    }

    /**
     * Exactly {@code count} messages were received in this test. Mail sent in the background is waited for, up to
     * the extension's await time-out, until there are {@code count}; more than {@code count} fails at once. The
     * assertions that follow are about every one of these messages.
     */
    public ReceivedAssert received(int count) {
        isNotNull();
        List<CapturedMessage> all;
        try {
            all = count == 0 ? actual.capture().messages()
                    : actual.capture().await(MailQuery.ANY, count, actual.awaitTimeout());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for mail", e);
        }
        if (all.size() != count) {
            failWithMessage("%s", Explain.wrongCount(count, all, actual.awaitTimeout(), actual.scriptedReplies()));
        }
        return new ReceivedAssert(actual, all);
    }

    /** No message was received in this test (checked now, without waiting). */
    public MailboxAssert receivedNothing() {
        received(0);
        return this;
    }

    /** Exactly {@code count} of the messages received match the query (waiting for them as {@link #received} does). */
    public ReceivedAssert received(int count, MailQuery query) {
        isNotNull();
        List<CapturedMessage> matching = actual.awaitMessages(query, count, actual.awaitTimeout());
        if (matching.size() != count) {
            failWithMessage("%s", "Expected " + count + " messages matching " + query.describe() + ", but "
                    + matching.size() + " were.");
        }
        return new ReceivedAssert(actual, matching);
    }
}
