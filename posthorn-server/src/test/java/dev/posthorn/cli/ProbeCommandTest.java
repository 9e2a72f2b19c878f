package dev.posthorn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.smtp.protocol.ListenerRole;
import dev.posthorn.store.UserStore;
import dev.posthorn.testing.RunningServer;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code posthorn probe} in-process against a running Posthorn: transcript, diagnosis and exit code. */
class ProbeCommandTest {

    @TempDir
    static Path dir;
    static RunningServer server;
    static String submission;
    static String smtps;
    static String mx;

    private final InputStream originalIn = System.in;

    @BeforeAll
    static void start() {
        UserStore.open(dir).add("alice@posthorn.test", "secret".toCharArray());
        UserStore.open(dir).add("carol@posthorn.test", "right".toCharArray());
        server = RunningServer.start(dir);
        submission = "127.0.0.1:" + server.port(ListenerRole.SUBMISSION);
        smtps = "127.0.0.1:" + server.port(ListenerRole.SUBMISSIONS);
        mx = "127.0.0.1:" + server.mxPort();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @AfterEach
    void restoreStdin() {
        System.setIn(originalIn);
    }

    private CliRun probe(String stdin, String... args) {
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        String[] all = new String[args.length + 1];
        all[0] = "probe";
        System.arraycopy(args, 0, all, 1, args.length);
        return CliRun.of(all);
    }

    static String queueId(String out) {
        Matcher m = Pattern.compile("queued as (\\S+)").matcher(out);
        assertThat(m.find()).as(out).isTrue();
        return m.group(1);
    }

    /** The Maildir file of the message with that queue id (its name holds "Q<id>"), once delivered. */
    static Path awaitDelivery(String address, String queueId) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 5000;
        while (System.currentTimeMillis() < deadline) {
            List<Path> found = server.messages(address).stream()
                    .filter(p -> p.getFileName().toString().contains("Q" + queueId)).toList();
            if (!found.isEmpty()) {
                return found.getFirst();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("message " + queueId + " not delivered to " + address);
    }

    private static String lineStartingWith(String out, String prefix) {
        return out.lines().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow(
                () -> new AssertionError("no line starting with '" + prefix + "' in\n" + out));
    }

    @Test
    void withoutCredentialsItShowsThe530ExplainedAndExits1() {
        CliRun run = probe("", submission, "--starttls", "--insecure", "--to", "alice@posthorn.test");

        assertThat(run.exitCode()).as(run.out() + run.err()).isEqualTo(1);
        assertThat(lineStartingWith(run.out(), "← 530 5.7.0 Authentication required"))
                .endsWith("Authentication Required");
        assertThat(lineStartingWith(run.out(), "Diagnosis: ")).contains(
                "The server requires authentication before MAIL FROM (530 5.7.0 Authentication required). "
                        + "Run again with --user and --password-stdin.");
        assertThat(run.out()).startsWith("→ connect " + submission + "\n");
    }

    @Test
    void withCredentialsItEndsWith250AndTheMailIsInTheMailbox() throws Exception {
        CliRun run = probe("secret\n", submission, "--starttls", "--insecure", "--user", "alice@posthorn.test",
                "--password-stdin", "--to", "alice@posthorn.test");

        assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
        assertThat(run.out()).contains("→ AUTH PLAIN ********").doesNotContain("secret");
        assertThat(lineStartingWith(run.out(), "← 250 2.0.0 Ok: queued as"))
                .endsWith("Requested Mail Action Okay, Completed");
        assertThat(lineStartingWith(run.out(), "Diagnosis: "))
                .contains("The server accepted the test message for alice@posthorn.test (250 2.0.0 Ok: queued as");
        Path delivered = awaitDelivery("alice@posthorn.test", queueId(run.out()));
        assertThat(Files.readString(delivered)).contains("Subject: Posthorn probe test message");
    }

    @Test
    void implicitTlsOnTheSmtpsPort() {
        CliRun run = probe("secret\n", smtps, "--tls", "--insecure", "--user", "alice@posthorn.test",
                "--password-stdin", "--to", "alice@posthorn.test");

        assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
        assertThat(run.out()).contains("· TLS established: TLSv1.3",
                "· certificate for mx.posthorn.test, issued by CN=mx.posthorn.test",
                "not checked (--insecure)");
        assertThat(run.out()).contains("Note: The certificate was not checked because of --insecure");
    }

    @Test
    void withoutInsecureTheSelfSignedCertificateIsDiagnosed() {
        CliRun run = probe("", submission, "--starttls", "--to", "alice@posthorn.test");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.out()).contains("! failed: ");
        assertThat(lineStartingWith(run.out(), "Diagnosis: ")).contains(
                "The server's certificate is not trusted: it is self-signed and it is made out for "
                        + "mx.posthorn.test, not for 127.0.0.1.", "Run again with --insecure");
    }

    @Test
    void aWrongPasswordGivesThe535Diagnosis() {
        CliRun run = probe("wrong\n", submission, "--starttls", "--insecure", "--user", "carol@posthorn.test",
                "--password-stdin", "--to", "alice@posthorn.test");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(lineStartingWith(run.out(), "← 535 5.7.8")).endsWith("Authentication Credentials Invalid");
        assertThat(lineStartingWith(run.out(), "Diagnosis: "))
                .contains("The server rejected the user name or the password for carol@posthorn.test");
    }

    @Test
    void theMxPortRefusesToRelay() {
        CliRun run = probe("", mx, "--from", "someone@example.org", "--to", "friend@example.com");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(lineStartingWith(run.out(), "Diagnosis: "))
                .contains("The server refuses to relay to friend@example.com (550 5.7.1 <friend@example.com>: "
                        + "Relaying denied)");
    }

    @Test
    void aClosedPortIsConnectionRefused() {
        int closed = RunningServer.freePort();
        CliRun run = probe("", "127.0.0.1:" + closed);

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(lineStartingWith(run.out(), "Diagnosis: "))
                .contains("127.0.0.1 refused the connection on port " + closed + ": nothing listens there.");
    }

    @Test
    void turkishOutputHasTheTurkishDiagnosis() {
        CliRun run = probe("", submission, "--starttls", "--insecure", "--to", "alice@posthorn.test", "--lang", "tr");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(lineStartingWith(run.out(), "← 530 5.7.0 Authentication required"))
                .endsWith("Kimlik doğrulama gerekli");
        assertThat(lineStartingWith(run.out(), "Teşhis: ")).contains(
                "Sunucu MAIL FROM komutundan önce kimlik doğrulaması istiyor (530 5.7.0 Authentication required). "
                        + "--user ve --password-stdin ile yeniden çalıştırın.");
        assertThat(run.out()).contains("→ bağlanılıyor: " + submission, "· TLS kuruldu: TLSv1.3");
    }

    @Test
    void theCapabilityCheckWithoutRecipientExits0() {
        CliRun run = probe("secret\n", submission, "--starttls", "--insecure", "--user", "alice@posthorn.test",
                "--password-stdin");

        assertThat(run.exitCode()).as(run.out()).isZero();
        assertThat(run.out()).doesNotContain("MAIL FROM").contains("→ QUIT");
        assertThat(lineStartingWith(run.out(), "Diagnosis: "))
                .contains("Every step worked (greeting, EHLO, STARTTLS, AUTH).");
    }

    @Test
    void badUsageExits2() {
        assertThat(probe("", submission, "--starttls", "--tls").exitCode()).isEqualTo(2);
        assertThat(probe("", submission, "--password-stdin").exitCode()).isEqualTo(2);
        assertThat(probe("", submission, "--timeout", "0").exitCode()).isEqualTo(2);
        assertThat(probe("", "127.0.0.1:99999").exitCode()).isEqualTo(2);
        assertThat(probe("", submission, "--user", "alice@posthorn.test", "--password-stdin").exitCode()).isEqualTo(2);
        CliRun unknownLanguage = probe("", submission, "--lang", "xx");
        assertThat(unknownLanguage.exitCode()).isEqualTo(2);
        assertThat(unknownLanguage.err()).contains("available: en, tr");
        CliRun noTarget = probe("");
        assertThat(noTarget.exitCode()).isEqualTo(2);
        assertThat(noTarget.err()).startsWith("posthorn probe: ");
    }

    @Test
    void ipv6AndDefaultPortsAreUnderstood() {
        CliRun run = probe("", "[::1]:" + RunningServer.freePort(), "--timeout", "2");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.out()).startsWith("→ connect [::1]:");
    }
}
