package dev.posthorn.smtp.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.policy.HostedDomains;
import dev.posthorn.policy.MailPolicy;
import dev.posthorn.policy.MailboxDirectory;
import dev.posthorn.smtp.protocol.AuthGate;
import dev.posthorn.smtp.protocol.ListenerRole;
import dev.posthorn.spool.Spool;
import dev.posthorn.testing.SmtpWire;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SMTP-CONFORMANCE P-4 (CVE-2011-0411) on the MX port, where STARTTLS is offered: a command pipelined after
 * STARTTLS must never run inside TLS. The server that RunningServer starts has no certificate, so this drives
 * an {@link SmtpSession} directly with a TLS upgrader that only counts handshakes.
 */
class StartTlsInjectionTest {

    @TempDir
    Path dir;

    private final AtomicInteger handshakes = new AtomicInteger();

    private final TlsUpgrader countingTls = new TlsUpgrader() {
        @Override
        public SSLSocket startTls(Socket plain) throws IOException {
            handshakes.incrementAndGet();
            throw new IOException("no handshake in this test");
        }

        @Override
        public SSLSocket implicitTls(Socket accepted) throws IOException {
            throw new IOException("not used on MX");
        }
    };

    private SmtpWire connect(ServerSocket listener) throws IOException {
        MailboxDirectory none = new MailboxDirectory() {
            @Override
            public boolean exists(String address) {
                return false;
            }

            @Override
            public Set<String> addressesOf(String account) {
                return Set.of(account);
            }
        };
        SessionServices services = new SessionServices("mx.posthorn.test", "test",
                new MailPolicy(new HostedDomains(Set.of("posthorn.test")), none, true), new Spool(dir.resolve("queue")),
                envelope -> { }, countingTls, null, address -> AuthGate.OPEN,
                new SessionServices.SessionLimits(1 << 20, 100, 20, 100, Duration.ofSeconds(30),
                        Duration.ofSeconds(30), Duration.ofMinutes(5), true),
                Clock.systemUTC());
        SmtpWire wire = SmtpWire.connect(listener.getLocalPort());
        Socket accepted = listener.accept();
        Thread.ofVirtual().start(new SmtpSession(accepted, ListenerRole.MX, false, services));
        assertThat(wire.reply()).startsWith("220 mx.posthorn.test ");
        assertThat(wire.command("EHLO client.example")).contains("250-STARTTLS");
        return wire;
    }

    @Test
    void p4_commandPipelinedAfterStartTlsIsRefusedAndNeverRuns() throws IOException {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                SmtpWire wire = connect(listener)) {
            wire.send("STARTTLS\r\nRSET\r\n");
            assertThat(wire.reply()).startsWith("554 5.5.0");
            assertThat(wire.closedByServer()).isTrue();
            assertThat(handshakes).hasValue(0);
        }
    }

    @Test
    void p4_startTlsAloneGets220ThenTheHandshake() throws IOException {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                SmtpWire wire = connect(listener)) {
            assertThat(wire.command("STARTTLS")).isEqualTo("220 2.0.0 Ready to start TLS");
            // The stub handshake fails; RFC 3207 §4.1: then the connection is closed.
            assertThat(wire.closedByServer()).isTrue();
            assertThat(handshakes).hasValue(1);
        }
    }
}
