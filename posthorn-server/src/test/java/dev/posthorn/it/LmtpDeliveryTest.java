package dev.posthorn.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.cli.CliRun;
import dev.posthorn.delivery.fixtures.DovecotServer;
import dev.posthorn.store.UserStore;
import dev.posthorn.testing.ExternalTool;
import dev.posthorn.testing.RunningServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Local mail through Posthorn's queue to a real Dovecot over LMTP (RFC 2033), end to end: Python's smtplib sends to
 * Posthorn's MX port, {@code [delivery] local = "lmtp:..."} hands the message to Debian's dovecot-lmtpd (a private
 * instance), and the Maildir Dovecot writes is read back; {@code posthorn queue} shows what the operator sees.
 * Dovecot stores messages with LF line ends, below the header fields it adds itself (Return-Path, Delivered-To for
 * a lone recipient, Received): Posthorn adds neither Return-Path nor Delivered-To when it hands over by LMTP.
 */
@Timeout(90)
class LmtpDeliveryTest {

    private static final String DOMAIN = "posthorn.test";
    private static final String ALICE = "alice@" + DOMAIN;
    private static final String BOB = "bob@" + DOMAIN;
    /** A mailbox Posthorn hosts (it accepts RCPT) that Dovecot's passwd-file lacks: Dovecot refuses it. */
    private static final String GHOST = "ghost@" + DOMAIN;
    private static final String REMOTE_SENDER = "sender@origin.test";

    @TempDir
    static Path shared;
    static DovecotServer dovecot;

    @TempDir
    Path dir;

    @BeforeAll
    static void startDovecot() throws Exception {
        dovecot = DovecotServer.in(shared.resolve("dovecot")).user(ALICE, "x").user(BOB, "x").start();
    }

    @AfterAll
    static void stopDovecot() throws Exception {
        if (dovecot != null) {
            dovecot.close();
        }
    }

    @Test
    void aLocalMessageIsStoredByDovecotOnceAsSentAndLeavesTheQueue() throws Exception {
        Path data = posthornData(ALICE);
        try (RunningServer posthorn = RunningServer.start(data, c -> lmtp(c, "lmtp:127.0.0.1:" + dovecot.lmtpPort()))) {
            String marker = marker();
            String sent = "From: Sender <" + REMOTE_SENDER + ">\r\nTo: <" + ALICE + ">\r\nSubject: " + marker + "\r\n"
                    + "Message-ID: <" + marker + "@origin.test>\r\nMIME-Version: 1.0\r\n"
                    + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                    + "Grüße over LMTP.\r\n.A line that starts with a dot.\r\n..Two dots.\r\n";
            String id = send(posthorn, REMOTE_SENDER, sent, ALICE);

            awaitEmptyQueue(data);
            String stored = single(storedIn(mail(), ALICE, marker), ALICE);
            // Exactly one Return-Path and one Delivered-To, both Dovecot's: Posthorn added none for LMTP.
            assertThat(count(stored, "Return-Path: ")).isEqualTo(1);
            assertThat(count(stored, "Delivered-To: ")).isEqualTo(1);
            String afterDovecot = stripDovecotFields(stored, REMOTE_SENDER, ALICE);
            // Then Posthorn's own trace field (RFC 5321 §4.4), naming the client and the queue id, then the message
            // exactly as sent (dots unstuffed, 8-bit octets intact), in Dovecot's LF line ends.
            Matcher received = Pattern.compile("^Received: from py\\.client\\.test[^\n]*(?:\n[ \t][^\n]*)*\n")
                    .matcher(afterDovecot);
            assertThat(received.find()).as("Posthorn's Received field on top of:\n%s", afterDovecot).isTrue();
            assertThat(received.group()).contains("by mx.posthorn.test", id);
            assertThat(afterDovecot.substring(received.end()).getBytes(StandardCharsets.UTF_8))
                    .isEqualTo(lf(sent).getBytes(StandardCharsets.UTF_8));
            // Through LMTP only: Posthorn's own Maildir for the user stayed empty.
            assertThat(posthorn.messages(ALICE)).isEmpty();
            // Still one copy a moment later: nothing retries a delivered recipient.
            Thread.sleep(500);
            assertThat(storedIn(mail(), ALICE, marker)).hasSize(1);
        }
    }

    @Test
    void withDovecotDownTheRecipientIsDeferredAndAfterItStartsARetryDeliversItOnce() throws Exception {
        Path data = posthornData(ALICE);
        // Over the Unix socket this time, at a path fixed before Dovecot exists (as in /run/dovecot/lmtp).
        Path socket = dir.resolve("lmtp.sock");
        try (RunningServer posthorn = RunningServer.start(data, c -> lmtp(c, "lmtp:unix:" + socket))) {
            String marker = marker();
            String sent = "Subject: " + marker + "\r\n\r\nWaiting for Dovecot.\r\n";
            String id = send(posthorn, REMOTE_SENDER, sent, ALICE);

            String show = await(() -> queue("show", id, "--data-dir", data.toString()).out(),
                    out -> out.contains("<" + ALICE + ">  deferred"), "a deferred " + ALICE);
            // The 4xx the queue recorded says why: nothing answered at the socket (RFC 3463's 4.4.1, not 4.4.2,
            // which would claim a connection was made), and the catalogue explains that code.
            assertThat(show).contains("  <" + ALICE + ">  deferred (local), next attempt ",
                    "  deferred  via lmtp:unix:" + socket + "\n",
                    "        451 4.4.1 Cannot connect to the LMTP server at lmtp:unix:" + socket + ": ",
                    "      means: 4.4.1 ");
            // Deferred, not bounced: one message in the queue, ours (a bounce to origin.test would wait there too).
            CliRun list = queue("list", "--data-dir", data.toString());
            assertThat(list.out()).contains("1 message(s).").containsPattern(id + " +" + Pattern.quote(REMOTE_SENDER)
                    + " +" + Pattern.quote(ALICE) + " +deferred +1 ");

            try (DovecotServer late = DovecotServer.in(dir.resolve("dovecot")).lmtpSocket(socket).user(ALICE, "x")
                    .start()) {
                Path mail = dir.resolve("dovecot/mail");
                assertThat(storedIn(mail, ALICE, marker)).isEmpty();
                CliRun retry = queue("retry", id, "--data-dir", data.toString());
                assertThat(retry.exitCode()).as(retry.err()).isZero();
                awaitEmptyQueue(data);
                String stored = single(storedIn(mail, ALICE, marker), ALICE, late);
                assertThat(stored).endsWith(lf(sent));
                Thread.sleep(500);
                assertThat(storedIn(mail, ALICE, marker)).as(late.log()).hasSize(1);
            }
        }
    }

    @Test
    void aRecipientDovecotRefusesIsBouncedWithItsReplyAndTheOtherIsDeliveredOnce() throws Exception {
        // The sender is Bob, hosted here too, so the bounce comes back through LMTP into his Dovecot mailbox.
        Path data = posthornData(ALICE, BOB, GHOST);
        try (RunningServer posthorn = RunningServer.start(data, c -> lmtp(c, "lmtp:127.0.0.1:" + dovecot.lmtpPort()))) {
            String marker = marker();
            String sent = "From: <" + BOB + ">\r\nSubject: " + marker + "\r\n\r\nTo Alice and a ghost.\r\n";
            String id = send(posthorn, BOB, sent, GHOST, ALICE);

            awaitEmptyQueue(data);
            String stored = single(storedIn(mail(), ALICE, marker), ALICE);
            assertThat(stored).endsWith(lf(sent));

            // The DSN (RFC 3464) to Bob names the ghost and quotes Dovecot's own refusal.
            List<String> bounces = await(() -> storedIn(mail(), BOB, id), l -> !l.isEmpty(), "a bounce to Bob");
            String dsn = single(bounces, BOB);
            assertThat(dsn).startsWith("Return-Path: <>\n")
                    .contains("Final-Recipient: rfc822; " + GHOST + "\nAction: failed\nStatus: 5.1.1\n",
                            // Dovecot's reply, word for word, in the text and (folded) in the report (RFC 3464 §2.3.6)
                            "\n        550 5.1.1 <" + GHOST + "> User doesn't exist: " + GHOST + "\n")
                    .doesNotContain("Final-Recipient: rfc822; " + ALICE);
            assertThat(dsn.replace("\n ", " ")).contains("Diagnostic-Code: x-posthorn; 550 5.1.1 <" + GHOST
                    + "> User doesn't exist: " + GHOST + "\n");
            Thread.sleep(500);
            assertThat(storedIn(mail(), ALICE, marker)).hasSize(1);
            assertThat(storedIn(mail(), BOB, id)).hasSize(1);
        }
    }

    /** Where the class's Dovecot keeps its Maildirs. */
    private static Path mail() {
        return shared.resolve("dovecot/mail");
    }

    // --- Posthorn ---

    private Path posthornData(String... users) throws Exception {
        Path data = dir.resolve("posthorn");
        for (String user : users) {
            UserStore.open(data).add(user, null);
        }
        return data;
    }

    private static void lmtp(dev.posthorn.config.PosthornConfig c, String local) {
        c.delivery.local = local;
        // A retry comes from `queue retry`, not the clock: every attempt in these tests is one we asked for.
        c.queue.retryIntervalsSeconds = new ArrayList<>(List.of(3600L));
        c.queue.connectTimeoutSeconds = 5;
        c.queue.commandTimeoutSeconds = 10;
        c.queue.dataEndTimeoutSeconds = 10;
    }

    /** Sends with Python's smtplib to Posthorn's MX port; returns the queue id from the reply to the data. */
    private static String send(RunningServer posthorn, String sender, String message, String... recipients)
            throws Exception {
        String script = """
                import smtplib, sys
                with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="py.client.test", timeout=20) as s:
                    s.ehlo()
                    code, reply = s.mail(sys.argv[2], ["BODY=8BITMIME"])
                    assert code == 250, (code, reply)
                    for rcpt in sys.argv[3:]:
                        code, reply = s.rcpt(rcpt)
                        assert code == 250, (rcpt, code, reply)
                    code, reply = s.data(sys.stdin.buffer.read())
                    print(code, reply.decode())
                """;
        List<String> command = new ArrayList<>(List.of("python3", "-c", script, String.valueOf(posthorn.mxPort()), sender));
        command.addAll(List.of(recipients));
        ExternalTool.Result r = ExternalTool.run(command, message, 30);
        assertThat(r.exitCode()).as(r.output()).isZero();
        Matcher m = Pattern.compile("^250 2\\.0\\.0 Ok: queued as (\\S+)$", Pattern.MULTILINE).matcher(r.output());
        assertThat(m.find()).as(r.output()).isTrue();
        return m.group(1);
    }

    /** {@code posthorn queue ...}, in-process, as the launcher runs it. */
    private static CliRun queue(String... args) {
        return CliRun.of(Stream.concat(Stream.of("queue"), Stream.of(args)).toArray(String[]::new));
    }

    private static void awaitEmptyQueue(Path data) throws Exception {
        await(() -> queue("list", "--data-dir", data.toString()).out(), out -> out.contains("The queue is empty."),
                "an empty queue; Dovecot's log:\n" + dovecot.log());
    }

    interface Probe<T> {
        T get() throws Exception;
    }

    private static <T> T await(Probe<T> probe, Predicate<T> done, String what) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        T last = probe.get();
        while (!done.test(last)) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("waited 30 s for " + what + "; last seen:\n" + last);
            }
            Thread.sleep(50);
            last = probe.get();
        }
        return last;
    }

    // --- Dovecot's Maildirs ---

    /** The messages containing {@code marker} in a user's Maildir as Dovecot wrote it ({@code <root>/<domain>/<local>}). */
    private static List<String> storedIn(Path mailRoot, String user, String marker) throws IOException {
        Path box = mailRoot.resolve(user.substring(user.indexOf('@') + 1)).resolve(user.substring(0, user.indexOf('@')));
        List<String> found = new ArrayList<>();
        for (String sub : List.of("new", "cur")) {
            if (Files.isDirectory(box.resolve(sub))) {
                try (Stream<Path> files = Files.list(box.resolve(sub))) {
                    for (Path f : files.sorted().toList()) {
                        String text = Files.readString(f, StandardCharsets.UTF_8);
                        if (text.contains(marker)) {
                            found.add(text);
                        }
                    }
                }
            }
        }
        return found;
    }

    private static String single(List<String> found, String user) {
        return single(found, user, dovecot);
    }

    private static String single(List<String> found, String user, DovecotServer server) {
        assertThat(found).as("copies for %s; Dovecot's log:\n%s", user, server.log()).hasSize(1);
        return found.get(0);
    }

    /**
     * Removes what Dovecot 2.3 adds on top: Return-Path, Delivered-To (a lone recipient) and its Received field,
     * which names Posthorn's LHLO host and says "with LMTP".
     */
    private static String stripDovecotFields(String stored, String sender, String rcpt) {
        Pattern added = Pattern.compile("^Return-Path: <" + Pattern.quote(sender) + ">\nDelivered-To: "
                + Pattern.quote(rcpt) + "\nReceived: from mx\\.posthorn\\.test(?: \\(\\[127\\.0\\.0\\.1\\]\\))?\n"
                + "\tby dovecot\\.test with LMTP\n\tid \\S+\n\t\\(envelope-from <" + Pattern.quote(sender) + ">\\)\n"
                + "\tfor <" + Pattern.quote(rcpt) + ">; \\w{3}, \\d{2} \\w{3} \\d{4} \\d{2}:\\d{2}:\\d{2} [+-]\\d{4}\n");
        Matcher m = added.matcher(stored);
        assertThat(m.find()).as("Dovecot's header fields on top of:\n%s", stored).isTrue();
        return stored.substring(m.end());
    }

    private static int count(String text, String what) {
        return text.split(Pattern.quote(what), -1).length - 1;
    }

    private static String lf(String crlf) {
        return crlf.replace("\r\n", "\n");
    }

    private static String marker() {
        return "m" + UUID.randomUUID().toString().replace("-", "");
    }
}
