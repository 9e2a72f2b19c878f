package dev.posthorn.smtp.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.policy.HostedDomains;
import dev.posthorn.policy.MailPolicy;
import dev.posthorn.policy.MailboxDirectory;
import dev.posthorn.smtp.protocol.AuthGate;
import dev.posthorn.smtp.protocol.ListenerRole;
import dev.posthorn.spool.Envelope;
import dev.posthorn.spool.Spool;
import dev.posthorn.testing.SmtpWire;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The session deadline never cuts a message the client has sent in full. Found by review: the watchdog wrote
 * {@code 421 4.4.2} and closed the socket while the session thread was committing a message whose final dot had
 * arrived just before the deadline; the commit completed, so the message was delivered and the client, told 421,
 * sent it again. Here the commit itself is where the session deadline passes (the clock jumps 30 s when the
 * session takes the time of arrival for the envelope) and the watchdog's check runs right then, twice, as its
 * sweeps would: the client must get {@code 250}, one message must be accepted, and only then the 421.
 */
class CommitDeadlineTest {

    static final String SESSION_LIMIT = "421 4.4.2 mx.posthorn.test Error: session time limit exceeded";

    @TempDir
    Path spoolDir;

    /**
     * Wall time plus a jump. Armed at DATA, the session's first instant() is the Received: field's date (when the
     * spool file opens) and its second the envelope's arrival time, in the commit after the final dot: that one
     * calls back.
     */
    static final class JumpingClock extends Clock {
        final AtomicLong offset = new AtomicLong();
        final AtomicReference<Runnable> armed = new AtomicReference<>();
        final java.util.concurrent.atomic.AtomicInteger skip = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public long millis() {
            return System.currentTimeMillis() + offset.get();
        }

        @Override
        public Instant instant() {
            Runnable hook = skip.getAndDecrement() > 0 ? null : armed.getAndSet(null);
            if (hook != null) {
                hook.run();
            }
            return Instant.ofEpochMilli(millis());
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }

    @Test
    void aMessageWhoseCommitOutlastsTheSessionDeadlineGets250AndIsTakenOnce() throws Exception {
        JumpingClock clock = new JumpingClock();
        List<Envelope> accepted = new CopyOnWriteArrayList<>();
        MailPolicy policy = new MailPolicy(new HostedDomains(Set.of("posthorn.test")), new MailboxDirectory() {
            @Override
            public boolean exists(String address) {
                return address.equalsIgnoreCase("bob@posthorn.test");
            }

            @Override
            public Set<String> addressesOf(String account) {
                return Set.of();
            }
        }, true);
        try (Spool spool = new Spool(spoolDir);
                ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            SessionServices services = new SessionServices("mx.posthorn.test", "test", policy, spool, accepted::add,
                    null, null, address -> AuthGate.OPEN,
                    new SessionServices.SessionLimits(1 << 20, 10, 10, 100, Duration.ofSeconds(60),
                            Duration.ofSeconds(60), Duration.ofSeconds(20), false),
                    clock);
            AtomicReference<SmtpSession> session = new AtomicReference<>();
            Thread server = Thread.ofVirtual().start(() -> {
                try {
                    Socket socket = listener.accept();
                    session.set(new SmtpSession(socket, ListenerRole.MX, false, services));
                    session.get().run();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            try (SmtpWire wire = SmtpWire.connect(listener.getLocalPort())) {
                wire.socket().setSoTimeout(15_000);
                assertThat(wire.reply()).startsWith("220 ");
                wire.command("EHLO client.test");
                assertThat(wire.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
                assertThat(wire.command("RCPT TO:<bob@posthorn.test>")).startsWith("250 ");
                clock.skip.set(1);
                clock.armed.set(() -> {
                    clock.offset.addAndGet(30_000);
                    // The watchdog's sweeps: the first decides to cut, a later one closes by force.
                    session.get().enforceDeadline(clock.millis());
                    session.get().enforceDeadline(clock.millis() + 5_000);
                });
                assertThat(wire.command("DATA")).startsWith("354 ");
                wire.send("Subject: late\r\n\r\ncommitted past the deadline\r\n.\r\n");
                assertThat(wire.reply()).startsWith("250 ");
                // The deadline is kept after the reply, by the session itself.
                assertThat(wire.reply()).isEqualTo(SESSION_LIMIT);
                assertThat(wire.closedByServer()).isTrue();
            }
            server.join(10_000);
            assertThat(clock.armed.get()).as("the commit read the clock").isNull();
            assertThat(accepted).hasSize(1);
        }
    }
}
