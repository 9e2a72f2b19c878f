package dev.posthorn.probe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.codes.Catalogue;
import dev.posthorn.smtp.protocol.ListenerRole;
import dev.posthorn.store.UserStore;
import dev.posthorn.testing.RunningServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The probe against a real Posthorn (MX, submission with STARTTLS and AUTH, smtps) and a few fake servers. */
class ProbeTest {

    @TempDir
    static Path dir;
    static RunningServer server;

    @BeforeAll
    static void start() {
        UserStore users = UserStore.open(dir);
        users.add("alice@posthorn.test", "secret".toCharArray());
        users.add("bob@posthorn.test", "hunter2".toCharArray());
        server = RunningServer.start(dir);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static ProbeOptions submission() {
        return ProbeOptions.of("127.0.0.1", server.port(ListenerRole.SUBMISSION));
    }

    private static String diagnosis(ProbeResult r, String language) {
        return String.join(" ", Diagnosis.of(r, Catalogue.load(language).language()).sentences());
    }

    private static List<String> printed(ProbeResult r) {
        TranscriptPrinter printer = new TranscriptPrinter(Catalogue.load("en"));
        List<String> lines = new ArrayList<>();
        r.transcript().forEach(e -> lines.addAll(printer.lines(e)));
        return lines;
    }

    @Test
    void withoutCredentialsTheSubmissionPortAnswers530AtMailAndTheDiagnosisSaysToLogIn() {
        ProbeResult r = Probe.run(submission().withSecurity(Security.STARTTLS, true)
                .withEnvelope("alice@posthorn.test", "alice@posthorn.test"));

        assertThat(r.succeeded()).isFalse();
        assertThat(r.problem()).isEqualTo(Problem.REFUSED);
        assertThat(r.failedStep()).isEqualTo(Step.MAIL);
        assertThat(r.failingReply().firstLine()).isEqualTo("530 5.7.0 Authentication required");
        assertThat(printed(r)).anySatisfy(line -> assertThat(line)
                .startsWith("← 530 5.7.0 Authentication required").endsWith("Authentication Required"));
        assertThat(diagnosis(r, "en")).contains(
                "The server requires authentication before MAIL FROM (530 5.7.0 Authentication required).",
                "Run again with --user and --password-stdin.", "posthorn explain 530 5.7.0");
        // The session ends politely even after a refusal.
        assertThat(r.transcript()).last().satisfies(e -> assertThat(e.step()).isEqualTo(Step.QUIT));
    }

    @Test
    void withoutStartTlsTheSubmissionPortDemandsTlsFirst() {
        ProbeResult r = Probe.run(submission().withEnvelope("alice@posthorn.test", "alice@posthorn.test"));

        assertThat(r.failingReply().firstLine()).isEqualTo("530 5.7.0 Must issue a STARTTLS command first");
        assertThat(r.tlsOfferedInPlain()).isTrue();
        assertThat(diagnosis(r, "en")).contains("The server requires TLS before MAIL FROM", "--starttls");
    }

    @Test
    void withCredentialsTheTestMessageIsQueuedAndDelivered() throws Exception {
        ProbeResult r = Probe.run(submission().withSecurity(Security.STARTTLS, true)
                .withLogin("alice@posthorn.test", "secret".toCharArray())
                .withEnvelope(null, "alice@posthorn.test"));

        assertThat(r.succeeded()).as("%s", r).isTrue();
        assertThat(r.authenticated()).isTrue();
        assertThat(r.tlsProtocol()).startsWith("TLSv1.3");
        assertThat(r.finalReply().orElseThrow().firstLine()).startsWith("250 2.0.0 Ok: queued as ");
        assertThat(diagnosis(r, "en")).startsWith("The server accepted the test message for alice@posthorn.test "
                + "(250 2.0.0 Ok: queued as ");
        String queueId = r.finalReply().orElseThrow().firstLine().substring("250 2.0.0 Ok: queued as ".length());
        Path delivered = null;
        for (int i = 0; i < 250 && delivered == null; i++) {
            delivered = server.messages("alice@posthorn.test").stream()
                    .filter(p -> p.getFileName().toString().contains("Q" + queueId)).findFirst().orElse(null);
            Thread.sleep(20);
        }
        assertThat(delivered).as("message %s delivered", queueId).isNotNull();
        assertThat(Files.readString(delivered)).contains("Subject: Posthorn probe test message");
    }

    @Test
    void thePasswordNeverAppearsInTheTranscript() {
        String secret = "secret";
        ProbeResult r = Probe.run(submission().withSecurity(Security.STARTTLS, true)
                .withLogin("alice@posthorn.test", secret.toCharArray()));
        String plain = Base64.getEncoder().encodeToString(
                "\0alice@posthorn.test\0secret".getBytes(StandardCharsets.UTF_8));

        String all = String.join("\n", printed(r));
        assertThat(all).contains("→ AUTH PLAIN ********").doesNotContain(secret).doesNotContain(plain);
        assertThat(r.options().toString()).doesNotContain(secret);
    }

    @Test
    void withoutRecipientOnlyTheCapabilitiesAreCheckedAndThatIsASuccess() {
        ProbeResult r = Probe.run(submission().withSecurity(Security.STARTTLS, true)
                .withLogin("alice@posthorn.test", "secret".toCharArray()));

        assertThat(r.succeeded()).isTrue();
        assertThat(r.transcript()).noneMatch(e -> e.step() == Step.MAIL);
        assertThat(diagnosis(r, "en")).contains("Every step worked (greeting, EHLO, STARTTLS, AUTH)",
                "a normal mail client would refuse it: it is self-signed and it is made out for mx.posthorn.test, "
                        + "not for 127.0.0.1");
    }

    @Test
    void implicitTlsOnTheSmtpsPortWorks() {
        ProbeResult r = Probe.run(ProbeOptions.of("127.0.0.1", server.port(ListenerRole.SUBMISSIONS))
                .withSecurity(Security.IMPLICIT_TLS, true)
                .withLogin("alice@posthorn.test", "secret".toCharArray())
                .withEnvelope(null, "alice@posthorn.test"));

        assertThat(r.succeeded()).as("%s", r).isTrue();
        assertThat(r.transcript().get(2)).isInstanceOf(TranscriptEntry.Event.class);
        assertThat(((TranscriptEntry.Event) r.transcript().get(2)).kind()).isEqualTo(TranscriptEntry.EventKind.TLS);
    }

    @Test
    void aSelfSignedCertificateForAnotherNameIsRefusedWithoutInsecure() {
        ProbeResult r = Probe.run(submission().withSecurity(Security.STARTTLS, false)
                .withLogin("alice@posthorn.test", "secret".toCharArray()));

        assertThat(r.problem()).isEqualTo(Problem.TLS_HANDSHAKE);
        assertThat(r.tlsFailure()).isEqualTo(TlsFailure.CERTIFICATE_UNTRUSTED);
        assertThat(r.certificate().selfSigned()).isTrue();
        assertThat(r.certificate().names()).containsExactly("mx.posthorn.test");
        assertThat(r.certificate().matchesHost()).isFalse();
        assertThat(r.authenticated()).isFalse();
        assertThat(diagnosis(r, "en")).contains("The server's certificate is not trusted: it is self-signed and "
                + "it is made out for mx.posthorn.test, not for 127.0.0.1.", "--insecure");
    }

    @Test
    void aTrustedCertificateForAnotherNameIsAHostNameMismatch() throws Exception {
        // Trust the server's own certificate, as if a CA had issued it: only the name is wrong now.
        KeyStore anchors = KeyStore.getInstance("PKCS12");
        anchors.load(null, null);
        try (var pem = Files.newInputStream(dir.resolve("tls/selfsigned-fullchain.pem"))) {
            anchors.setCertificateEntry("server", CertificateFactory.getInstance("X.509").generateCertificate(pem));
        }
        ProbeResult r = Probe.run(submission().withSecurity(Security.STARTTLS, false), anchors);

        assertThat(r.certificate().trusted()).isTrue();
        assertThat(r.tlsFailure()).isEqualTo(TlsFailure.HOSTNAME_MISMATCH);
        assertThat(diagnosis(r, "en")).contains("The certificate does not match 127.0.0.1: it is made out for "
                + "mx.posthorn.test. Connect with one of those names.", "--insecure");
        assertThat(diagnosis(r, "tr")).contains("Sertifika 127.0.0.1 ile eşleşmiyor: mx.posthorn.test için düzenlenmiş.");
    }

    @Test
    void aServerWithoutACommonTlsVersionIsAProtocolVersionFailure() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> {
                try (Socket s = listener.accept()) {
                    s.getInputStream().read(new byte[512]);
                    // A TLS alert record: fatal (2), protocol_version (70), as an old server sends it.
                    s.getOutputStream().write(new byte[] {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46});
                    s.getOutputStream().flush();
                    s.getInputStream().read();
                } catch (Exception e) {
                    // The probe hung up.
                }
            });
            ProbeResult r = Probe.run(ProbeOptions.of("127.0.0.1", listener.getLocalPort())
                    .withSecurity(Security.IMPLICIT_TLS, false));

            assertThat(r.tlsFailure()).as("%s", r).isEqualTo(TlsFailure.PROTOCOL_VERSION);
            assertThat(diagnosis(r, "en")).contains("Client and server have no TLS version in common");
        }
    }

    @Test
    void anAuthenticatedUserMayNotSendAsSomeoneElse() {
        ProbeResult r = Probe.run(submission().withSecurity(Security.STARTTLS, true)
                .withLogin("alice@posthorn.test", "secret".toCharArray())
                .withEnvelope("bob@posthorn.test", "alice@posthorn.test"));

        assertThat(r.failedStep()).isEqualTo(Step.MAIL);
        assertThat(diagnosis(r, "en")).contains("The server does not let alice@posthorn.test send as "
                + "bob@posthorn.test");
    }

    @Test
    void aWrongPasswordIsDiagnosedAsBadCredentials() {
        ProbeResult r = Probe.run(submission().withSecurity(Security.STARTTLS, true)
                .withLogin("bob@posthorn.test", "wrong".toCharArray())
                .withEnvelope(null, "alice@posthorn.test"));

        assertThat(r.failedStep()).isEqualTo(Step.AUTH);
        assertThat(r.failingReply().code()).isEqualTo(535);
        assertThat(diagnosis(r, "en")).contains("The server rejected the user name or the password for "
                + "bob@posthorn.test (535 5.7.8 Authentication credentials invalid)");
        assertThat(r.transcript()).noneMatch(e -> e.step() == Step.MAIL);
    }

    @Test
    void theMxPortRefusesToRelayToARemoteDomain() {
        ProbeResult r = Probe.run(ProbeOptions.of("127.0.0.1", server.mxPort())
                .withEnvelope("someone@example.org", "friend@example.com"));

        assertThat(r.failedStep()).isEqualTo(Step.RCPT);
        assertThat(r.failingReply().firstLine()).isEqualTo("550 5.7.1 <friend@example.com>: Relaying denied");
        assertThat(diagnosis(r, "en")).contains("The server refuses to relay to friend@example.com",
                "only from authenticated users");
        assertThat(printed(r)).anySatisfy(l -> assertThat(l).endsWith("Delivery Not Authorized, Message Refused"));
    }

    @Test
    void anUnknownLocalUserIsNamed() {
        ProbeResult r = Probe.run(ProbeOptions.of("127.0.0.1", server.mxPort())
                .withEnvelope("someone@example.org", "nobody@posthorn.test"));

        assertThat(r.failingReply().enhanced()).isEqualTo("5.1.1");
        assertThat(diagnosis(r, "en")).contains("The server does not know the recipient nobody@posthorn.test");
    }

    @Test
    void aPlainMessageToALocalMailboxOnTheMxPortIsAccepted() {
        ProbeResult r = Probe.run(ProbeOptions.of("127.0.0.1", server.mxPort())
                .withEnvelope("someone@example.org", "alice@posthorn.test"));

        assertThat(r.succeeded()).isTrue();
        assertThat(diagnosis(r, "en")).contains("The server also offers STARTTLS");
    }

    @Test
    void aMessageOverTheAdvertisedSizeIsRefusedAtMail() throws Exception {
        // Posthorn accepts at least 64 KiB, as RFC 5321 wants; a server with a smaller limit is faked.
        try (ScriptedServer fake = new ScriptedServer("220 tiny.example ESMTP", rules(
                "EHLO", "250-tiny.example\n250-ENHANCEDSTATUSCODES\n250 SIZE 100",
                "MAIL", "552 5.3.4 Message size exceeds fixed maximum message size",
                "QUIT", "221 2.0.0 bye"))) {
            ProbeResult r = Probe.run(ProbeOptions.of("127.0.0.1", fake.port())
                    .withEnvelope("someone@example.org", "alice@posthorn.test"));

            assertThat(fake.received.getFirst()).isEqualTo("EHLO probe.local");
            assertThat(fake.received.get(1)).matches("MAIL FROM:<someone@example.org> SIZE=\\d+");
            assertThat(r.failingReply().code()).isEqualTo(552);
            assertThat(printed(r)).anySatisfy(l -> assertThat(l).endsWith("Message Too Big for System"));
            assertThat(diagnosis(r, "en")).contains("The server does not take a message of this size");
        }
    }

    @Test
    void aClosedPortIsConnectionRefused() {
        ProbeResult r = Probe.run(ProbeOptions.of("127.0.0.1", RunningServer.freePort()));

        assertThat(r.problem()).isEqualTo(Problem.CONNECTION_REFUSED);
        assertThat(diagnosis(r, "en")).contains("127.0.0.1 refused the connection on port");
        assertThat(diagnosis(r, "tr")).contains("numaralı porttaki bağlantıyı reddetti");
    }

    @Test
    void anUnresolvableNameIsADnsFailure() {
        ProbeResult r = Probe.run(ProbeOptions.of("no-such-host.invalid", 25));

        assertThat(r.problem()).isEqualTo(Problem.DNS_FAILURE);
        assertThat(diagnosis(r, "en")).contains("The host name no-such-host.invalid cannot be resolved");
    }

    @Test
    void tlsOnAPlainPortIsNotTls() {
        ProbeResult r = Probe.run(submission().withSecurity(Security.IMPLICIT_TLS, true));

        assertThat(r.tlsFailure()).isEqualTo(TlsFailure.NOT_TLS);
        assertThat(diagnosis(r, "en")).contains("Use --starttls instead of --tls.");
    }

    @Test
    void plainSmtpOnTheSmtpsPortWaitsForAGreetingInVain() {
        ProbeResult r = Probe.run(ProbeOptions.of("127.0.0.1", server.port(ListenerRole.SUBMISSIONS))
                .withTimeouts(Duration.ofSeconds(2), Duration.ofMillis(700)));

        assertThat(r.problem()).isEqualTo(Problem.REPLY_TIMEOUT);
        assertThat(r.failedStep()).isEqualTo(Step.GREETING);
        assertThat(diagnosis(r, "en")).contains("sent no greeting within 0.7 seconds", "run again with --tls");
    }

    @Test
    void aLoginOnThePlainSubmissionPortIsTurnedIntoAdviceToUseStartTls() {
        ProbeResult r = Probe.run(submission().withLogin("alice@posthorn.test", "secret".toCharArray()));

        assertThat(r.problem()).isEqualTo(Problem.AUTH_NOT_OFFERED);
        assertThat(diagnosis(r, "en")).contains("It offers STARTTLS", "add --starttls");
    }

    @Test
    void theMxPortOffersNoAuthEvenInsideTls() {
        ProbeResult r = Probe.run(ProbeOptions.of("127.0.0.1", server.mxPort()).withSecurity(Security.STARTTLS, true)
                .withLogin("alice@posthorn.test", "secret".toCharArray()));

        assertThat(r.problem()).isEqualTo(Problem.AUTH_NOT_OFFERED);
        assertThat(diagnosis(r, "en")).contains("this looks like a port for incoming mail (MX)");
    }

    @Test
    void startTlsAskedForWhereItIsNotOffered() throws Exception {
        try (ScriptedServer fake = new ScriptedServer("220 old.example ESMTP", rules(
                "EHLO", "250-old.example\n250 SIZE 1000000", "QUIT", "221 bye"))) {
            ProbeResult r = Probe.run(ProbeOptions.of("127.0.0.1", fake.port()).withSecurity(Security.STARTTLS, false));

            assertThat(r.problem()).isEqualTo(Problem.STARTTLS_NOT_OFFERED);
            assertThat(diagnosis(r, "en")).contains("You asked for STARTTLS, but the server does not offer it");
        }
    }

    @Test
    void a554GreetingIsARefusal() throws Exception {
        try (ScriptedServer fake = new ScriptedServer("554 5.7.1 mx.example No SMTP service for you", rules(
                "QUIT", "221 bye"))) {
            ProbeResult r = Probe.run(ProbeOptions.of("127.0.0.1", fake.port()));

            assertThat(r.failedStep()).isEqualTo(Step.GREETING);
            assertThat(diagnosis(r, "en")).contains("The server refuses to talk to this client: it greeted with "
                    + "554 5.7.1 mx.example No SMTP service for you instead of 220.");
            assertThat(diagnosis(r, "tr")).contains("Sunucu bu istemciyle konuşmayı reddediyor");
        }
    }

    @Test
    void aServerThatStopsAnsweringTimesOutAtThatStep() throws Exception {
        Map<String, String> silentAtMail = rules("EHLO", "250 quiet.example", "QUIT", "221 bye");
        silentAtMail.put("MAIL", null);
        try (ScriptedServer fake = new ScriptedServer("220 quiet.example ESMTP", silentAtMail)) {
            long start = System.nanoTime();
            ProbeResult r = Probe.run(ProbeOptions.of("127.0.0.1", fake.port())
                    .withEnvelope("a@example.org", "b@example.org")
                    .withTimeouts(Duration.ofSeconds(2), Duration.ofMillis(500)));

            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            assertThat(r.problem()).isEqualTo(Problem.REPLY_TIMEOUT);
            assertThat(r.failedStep()).isEqualTo(Step.MAIL);
            assertThat(diagnosis(r, "en")).contains("The server did not answer MAIL FROM within 0.5 seconds.");
        }
    }

    @Test
    void aServerThatTricklesItsGreetingCannotStretchTheTimeOut() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread trickler = Thread.ofVirtual().start(() -> {
                try (Socket s = listener.accept()) {
                    OutputStream out = s.getOutputStream();
                    for (byte b : "220-slow.example ESMTP, one byte at a time".getBytes(StandardCharsets.US_ASCII)) {
                        out.write(b);
                        out.flush();
                        Thread.sleep(200);
                    }
                } catch (Exception e) {
                    // The probe gave up and closed the connection: what the test wants.
                }
            });
            long start = System.nanoTime();
            ProbeResult r = Probe.run(ProbeOptions.of("127.0.0.1", listener.getLocalPort())
                    .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(1)));

            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(2500));
            assertThat(r.problem()).isEqualTo(Problem.REPLY_TIMEOUT);
            assertThat(r.failedStep()).isEqualTo(Step.GREETING);
            assertThat(diagnosis(r, "en")).contains("sent no greeting within 1 second.");
            trickler.interrupt();
        }
    }

    @Test
    void loginIsUsedWhenPlainIsNotOfferedAndThePasswordIsMasked() throws Exception {
        try (ScriptedServer fake = new ScriptedServer("220 legacy.example ESMTP", rules(
                "EHLO", "250-legacy.example\n250 AUTH LOGIN",
                "AUTH LOGIN", "334 VXNlcm5hbWU6",
                "YWxpY2U=", "334 UGFzc3dvcmQ6",
                "c2VjcmV0", "235 2.7.0 Authentication successful",
                "QUIT", "221 bye"))) {
            ProbeResult r = Probe.run(ProbeOptions.of("127.0.0.1", fake.port())
                    .withLogin("alice", "secret".toCharArray()).withAuthWithoutTls(true));

            assertThat(r.succeeded()).as("%s", r).isTrue();
            assertThat(fake.received).contains("AUTH LOGIN", "YWxpY2U=", "c2VjcmV0");
            assertThat(String.join("\n", printed(r))).contains("→ ********").doesNotContain("c2VjcmV0");
        }
    }

    @Test
    void withoutForcingItNoPasswordGoesOutUnencrypted() throws Exception {
        try (ScriptedServer fake = new ScriptedServer("220 legacy.example ESMTP", rules(
                "EHLO", "250-legacy.example\n250 AUTH PLAIN LOGIN", "QUIT", "221 bye"))) {
            ProbeResult r = Probe.run(ProbeOptions.of("127.0.0.1", fake.port())
                    .withLogin("alice", "secret".toCharArray()));

            assertThat(r.problem()).isEqualTo(Problem.AUTH_NOT_ENCRYPTED);
            assertThat(fake.received).noneMatch(l -> l.startsWith("AUTH"));
            assertThat(diagnosis(r, "en")).contains("does not send a password in clear text");
        }
    }

    private static Map<String, String> rules(String... pairs) {
        Map<String, String> rules = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            rules.put(pairs[i], pairs[i + 1]);
        }
        return rules;
    }
}
