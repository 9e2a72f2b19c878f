package dev.posthorn.smtp.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.testing.RunningServer;
import dev.posthorn.testing.SmtpWire;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SMTP-CONFORMANCE P-4 (CVE-2011-0411) on the MX port, where STARTTLS is offered: a command pipelined after
 * STARTTLS must never run inside TLS; STARTTLS alone gets 220 and a real handshake.
 */
class StartTlsInjectionTest {

    @TempDir
    Path dir;

    @Test
    void p4_commandPipelinedAfterStartTlsIsRefusedAndNeverRuns() throws IOException {
        try (RunningServer server = RunningServer.start(dir); SmtpWire wire = SmtpWire.connect(server.mxPort())) {
            wire.reply();
            assertThat(wire.command("EHLO client.example")).contains("250-STARTTLS");
            wire.send("STARTTLS\r\nRSET\r\n");
            assertThat(wire.reply()).isEqualTo("554 5.5.0 Error: SMTP protocol synchronization");
            assertThat(wire.closedByServer()).as("refused and closed; the RSET got no reply").isTrue();
        }
    }

    @Test
    void p4_startTlsAloneGets220ThenAHandshakeAndAFreshSession() throws Exception {
        try (RunningServer server = RunningServer.start(dir); SmtpWire wire = SmtpWire.connect(server.mxPort())) {
            wire.reply();
            wire.command("EHLO client.example");
            assertThat(wire.command("STARTTLS")).isEqualTo("220 2.0.0 Ready to start TLS");
            // The same connection, now inside TLS.
            SmtpWire secure = wire.startTls();
            // RFC 3207 §4.2: state is reset, EHLO is needed again, and STARTTLS is no longer offered.
            assertThat(secure.command("MAIL FROM:<a@example.org>")).startsWith("503 5.5.1");
            assertThat(secure.command("EHLO client.example")).doesNotContain("STARTTLS");
            assertThat(secure.tlsProtocol()).isIn("TLSv1.3", "TLSv1.2");
        }
    }
}
