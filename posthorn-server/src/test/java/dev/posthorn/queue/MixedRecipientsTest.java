package dev.posthorn.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.delivery.fixtures.ScriptedSmtpPeer;
import dev.posthorn.smtp.protocol.ListenerRole;
import dev.posthorn.store.UserStore;
import dev.posthorn.testing.RunningServer;
import dev.posthorn.testing.SmtpWire;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The case from the issue, as a user meets it: an authenticated user sends one message to a local recipient
 * whose mailbox cannot be written and to a remote one. The remote peer gets exactly one copy however often the
 * queue sweeps; the local recipient is retried on the same schedule as a remote one, gets a delay notice, and at
 * the give-up time a failure notice that says why, in the catalogue's words.
 */
@Timeout(90)
class MixedRecipientsTest {

    private static final String ALICE = "alice@posthorn.test";

    @TempDir
    Path data;

    private static String plain(String user, String password) {
        return Base64.getEncoder().encodeToString(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static void await(String what, Duration limit, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(50);
        }
    }

    private static List<String> texts(List<Path> files) {
        List<String> out = new ArrayList<>();
        for (Path f : files) {
            try {
                out.add(Files.readString(f, StandardCharsets.UTF_8));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return out;
    }

    @Test
    void theRemoteCopyIsSentOnceWhileTheLocalOneIsRetriedAndFinallyBouncedWithItsCause() throws Exception {
        UserStore users = UserStore.open(data);
        users.add(ALICE, "wonderland".toCharArray());
        users.add("bob@posthorn.test", "builder".toCharArray());
        // Bob's mailbox directory is a regular file: unusable, for root too (chmod would not stop root).
        Path bobsMailbox = Files.createDirectories(data.resolve("mail/posthorn.test")).resolve("bob");
        Files.writeString(bobsMailbox, "not a directory");

        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.start();
                RunningServer server = RunningServer.start(data, c -> {
                    c.routes.put("remote.test", "127.0.0.1:" + peer.port());
                    c.queue.retryIntervalsSeconds = new ArrayList<>(List.of(1L));
                    c.queue.delayNoticeAfterSeconds = 3;
                    c.queue.giveUpAfterSeconds = 8;
                    c.queue.sweepIntervalSeconds = 0.2;
                    c.queue.connectTimeoutSeconds = 2;
                })) {
            String id;
            try (SmtpWire wire = SmtpWire.connectTls(server.port(ListenerRole.SUBMISSIONS))) {
                wire.reply();
                wire.command("EHLO client.test");
                assertThat(wire.command("AUTH PLAIN " + plain(ALICE, "wonderland"))).startsWith("235 ");
                assertThat(wire.command("MAIL FROM:<" + ALICE + ">")).startsWith("250 ");
                assertThat(wire.command("RCPT TO:<bob@posthorn.test>")).startsWith("250 ");
                assertThat(wire.command("RCPT TO:<carol@remote.test>")).startsWith("250 ");
                assertThat(wire.command("DATA")).startsWith("354 ");
                String reply = wire.command("From: " + ALICE + "\r\nSubject: mixed\r\n\r\nfor Bob and Carol\r\n.");
                assertThat(reply).startsWith("250 2.0.0 Ok: queued as ");
                id = reply.substring("250 2.0.0 Ok: queued as ".length());
            }
            assertThat(peer.take(Duration.ofSeconds(10)).rcptTo()).containsExactly("carol@remote.test");
            Scheduler scheduler = server.server().scheduler();
            long sweepsAfterDelivery = scheduler.sweeps();
            await("ten more sweeps", Duration.ofSeconds(20), () -> scheduler.sweeps() >= sweepsAfterDelivery + 10);

            MessageState state = StateFile.read(data.resolve("queue"), id);
            assertThat(state.recipient("carol@remote.test").status).isEqualTo(RecipientStatus.DELIVERED);
            assertThat(state.recipient("carol@remote.test").attempts).hasSize(1);
            RecipientState bob = state.recipient("bob@posthorn.test");
            assertThat(bob.status).isEqualTo(RecipientStatus.DEFERRED);
            assertThat(bob.attempts).hasSizeGreaterThanOrEqualTo(2).allSatisfy(a -> {
                assertThat(a.code()).isEqualTo(450);
                assertThat(a.enhanced()).isEqualTo("4.2.0");
                assertThat(a.destination()).isEqualTo("maildir");
                assertThat(a.explanation()).startsWith("4.2.0 ");
            });

            await("a failure notice reaches alice", Duration.ofSeconds(30),
                    () -> texts(server.messages(ALICE)).stream().anyMatch(t -> t.contains("Action: failed")));
            List<String> notices = texts(server.messages(ALICE));
            assertThat(notices).anySatisfy(t -> assertThat(t).contains("Subject: Delayed Mail (still being retried)",
                    "Action: delayed", "Status: 4.2.0", "Final-Recipient: rfc822; bob@posthorn.test"));
            assertThat(notices).anySatisfy(t -> assertThat(t).contains("Subject: Undelivered Mail Returned to Sender",
                    "Action: failed", "Status: 4.2.0", "Final-Recipient: rfc822; bob@posthorn.test",
                    "450 4.2.0 Mailbox", "unusable").doesNotContain("Final-Recipient: rfc822; carol@remote.test"));
            await("the message leaves the queue", Duration.ofSeconds(10), () -> server.server().queue().get(id) == null);
            Thread.sleep(1000);
            assertThat(peer.received).as("copies at the peer beyond the first").isEmpty();
            assertThat(peer.commands.stream().filter(l -> l.startsWith("RCPT TO:<carol@")).count()).isEqualTo(1);
        }
    }
}
