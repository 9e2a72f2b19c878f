package dev.posthorn.smtp.session;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.policy.HeaderFrom;
import dev.posthorn.policy.HostedDomains;
import dev.posthorn.policy.MailPolicy;
import dev.posthorn.policy.MailboxDirectory;
import dev.posthorn.smtp.protocol.DataOutcome;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The work the server does on a message's From: is bounded and done only where it is used. Found by review:
 * every BDAT chunk (one octet each, unauthenticated) and every DATA made mime4j parse the whole From: (up to
 * 64 KiB) again, although only sender binding of an authenticated session reads it: a cheap way to burn the
 * server's CPU. Counted, not timed: the scanner says how often it parsed.
 */
class HeaderParseWorkTest {

    private static final MailPolicy BINDING = new MailPolicy(new HostedDomains(Set.of("posthorn.test")),
            new MailboxDirectory() {
                @Override
                public boolean exists(String address) {
                    return true;
                }

                @Override
                public Set<String> addressesOf(String account) {
                    return Set.of("alice@posthorn.test");
                }
            }, true);

    /** A From: of about 60 KiB, 8,000 mailboxes: just under the 64 KiB the scanner keeps. */
    private static final byte[] HEADER = ("From: " + "a@b.c, ".repeat(8_000) + "alice@posthorn.test\r\n"
            + "Subject: work\r\n\r\n").getBytes(US_ASCII);

    @Test
    void chunksAndUnauthenticatedMessagesNeverParseFrom() throws IOException {
        ContentSink sink = new ContentSink(OutputStream.nullOutputStream(), 1 << 20);
        sink.write(HEADER, 0, HEADER.length);
        for (int chunk = 0; chunk < 1_000; chunk++) {
            sink.write('x');
            DataOutcome soFar = sink.outcome(); // what the session hands the protocol after each BDAT chunk
            assertThat(BINDING.headerSenders(soFar.headerSenders(), null)).isNull(); // not authenticated
        }
        assertThat(sink.headerParses()).isZero();
    }

    @Test
    void anAuthenticatedMessageParsesFromOnceAndATooLongListIsRefused() throws IOException {
        ContentSink sink = new ContentSink(OutputStream.nullOutputStream(), 1 << 20);
        sink.write(HEADER, 0, HEADER.length);
        sink.write('x');
        for (int ask = 0; ask < 3; ask++) {
            assertThat(BINDING.headerSenders(sink.outcome().headerSenders(), "alice").toString())
                    .isEqualTo("550 5.7.1 Header sender cannot be checked: From: and Sender: name more than 100"
                            + " mailboxes");
        }
        assertThat(sink.headerParses()).isEqualTo(1);
    }

    @Test
    void aHundredMailboxesOfOnesOwnAreStillAccepted() {
        HeaderFrom.Result result = HeaderFrom.parse(
                java.util.List.of(String.join(", ", java.util.Collections.nCopies(100, "alice@posthorn.test"))
                        .getBytes(US_ASCII)), java.util.List.of());
        assertThat(BINDING.headerSenders(result, "alice")).isNull();
    }
}
