package dev.posthorn.delivery.target;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.delivery.QueueConfig;
import dev.posthorn.delivery.lmtp.LmtpEndpoint;
import dev.posthorn.delivery.remote.Outcome;
import dev.posthorn.delivery.remote.RemoteReply;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The LMTP adapter's side of the {@link LmtpConnector} contract (finding 11 of the review of issue 9). The LMTP
 * client itself lives on branch {@code lmtp} and is tested there against a real Dovecot; here a scripted client
 * plays its answers, to pin what the target does with them: the deadlines it passes, a failure before anything was
 * sent deferred (once: replacing a stale kept connection is the client's job), each recipient's own reply kept.
 */
class LmtpTargetTest {

    private static final LmtpEndpoint DOVECOT = new LmtpEndpoint.Unix(Path.of("/run/dovecot/lmtp"));

    /** Plays the next scripted answer per send; each answer is a reply list or an IOException to throw. */
    private static final class Scripted implements LmtpConnector {
        final Deque<Object> answers = new ArrayDeque<>();
        final List<Deadlines> opened = new ArrayList<>();
        int sends;
        int closes;

        @Override
        public Client open(LmtpEndpoint endpoint, Deadlines deadlines) {
            opened.add(deadlines);
            return new Client() {
                @Override
                @SuppressWarnings("unchecked")
                public List<Reply> send(String sender, List<String> recipients, MessageContent content,
                                        boolean eightBit, boolean smtputf8) throws IOException {
                    sends++;
                    Object next = answers.poll();
                    if (next instanceof IOException e) {
                        throw e;
                    }
                    return (List<Reply>) next;
                }

                @Override
                public void abort() {
                }

                @Override
                public void close() {
                    closes++;
                }
            };
        }
    }

    private static List<Outcome> deliver(Scripted connector, List<String> to) {
        QueueConfig queue = new QueueConfig();
        queue.connectTimeoutSeconds = 7;
        queue.commandTimeoutSeconds = 11;
        queue.dataEndTimeoutSeconds = 13;
        try (LmtpTarget target = new LmtpTarget(DOVECOT, connector, LmtpConnector.Deadlines.from(queue))) {
            Delivery d = target.start(new TargetMessage("MXQID1", Instant.now(), "alice@posthorn.test", false, false,
                    null, null, false));
            for (int i = 0; i < to.size(); i++) {
                d.addRecipient(new TargetRecipient(to.get(i), i, Set.of(), null));
            }
            d.body(new MessageContent() {
                @Override
                public InputStream open() {
                    return new ByteArrayInputStream("Subject: x\r\n\r\nbody\r\n".getBytes());
                }

                @Override
                public Path file() {
                    throw new UnsupportedOperationException();
                }

                @Override
                public long size() {
                    return 19;
                }
            });
            return d.commit();
        }
    }

    private static LmtpConnector.Reply reply(int code, String enhanced, String text) {
        return new LmtpConnector.Reply(new RemoteReply(code, enhanced, List.of(text)), false);
    }

    @Test
    void eachRecipientKeepsItsOwnReplyAndTheClientGetsTheQueueDeadlines() {
        Scripted lmtp = new Scripted();
        lmtp.answers.add(List.of(reply(250, "2.0.0", "Saved"), reply(452, "4.2.2", "Mailbox full")));
        List<Outcome> outcomes = deliver(lmtp, List.of("bob@posthorn.test", "carol@posthorn.test"));
        assertThat(lmtp.sends).isEqualTo(1);
        assertThat(outcomes).extracting(Outcome::kind).containsExactly(Outcome.Kind.DELIVERED, Outcome.Kind.DEFERRED);
        assertThat(outcomes.get(1).reply().enhanced()).isEqualTo("4.2.2");
        assertThat(lmtp.opened).containsExactly(new LmtpConnector.Deadlines(Duration.ofSeconds(7),
                Duration.ofSeconds(11), Duration.ofSeconds(13)));
    }

    @Test
    void aServerThatCannotBeReachedDefersEveryRecipientAfterOneTry() {
        Scripted lmtp = new Scripted();
        lmtp.answers.add(new LmtpConnector.NothingSent("connection refused", null));
        lmtp.answers.add(List.of(reply(250, "2.0.0", "Saved")));
        List<Outcome> outcomes = deliver(lmtp, List.of("bob@posthorn.test"));
        assertThat(lmtp.sends).as("sends to a server that refused the connection").isEqualTo(1);
        assertThat(outcomes).extracting(Outcome::kind).containsExactly(Outcome.Kind.DEFERRED);
        assertThat(outcomes.get(0).reply().code()).isEqualTo(451);
        assertThat(outcomes.get(0).reply().enhanced()).isEqualTo("4.4.2");
        assertThat(lmtp.closes).as("the failed client is dropped, the next message opens a new one").isEqualTo(1);
    }
}
