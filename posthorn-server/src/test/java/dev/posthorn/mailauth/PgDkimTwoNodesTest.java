package dev.posthorn.mailauth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.cli.Main;
import dev.posthorn.delivery.fixtures.UnboundServer;
import dev.posthorn.mailauth.dkim.DkimKeys;
import dev.posthorn.mailauth.dkim.DkimResult;
import dev.posthorn.policy.PgDkimKeys;
import dev.posthorn.smtp.protocol.ListenerRole;
import dev.posthorn.store.StoreConfig;
import dev.posthorn.testing.PostgresServer;
import dev.posthorn.testing.RunningServer;
import dev.posthorn.testing.SmtpWire;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * DKIM keys in PostgreSQL across two running nodes: a key made with {@code posthorn dkim keygen --config} (any
 * host with node A's configuration) signs mail submitted to node B, and the signature verifies against the TXT
 * record {@code posthorn dns} prints; activating another selector reaches node B within the snapshot's bound.
 */
@Timeout(180)
class PgDkimTwoNodesTest {

    @TempDir
    Path dir;
    private RunningServer nodeA;
    private RunningServer nodeB;
    private Path configA;
    private final InputStream originalIn = System.in;

    @BeforeEach
    void startTwoNodes() throws Exception {
        StoreConfig store = PostgresServer.shared().newStoreConfig();
        nodeA = RunningServer.start(dir.resolve("a"), c -> c.store = store);
        nodeB = RunningServer.start(dir.resolve("b"), c -> c.store = store);
        configA = dir.resolve("a.toml");
        Files.writeString(configA, PostgresServer.operatorConfig(store, dir.resolve("a"),
                "hostname = \"mx.posthorn.test\"", "domains = [\"localhost\", \"posthorn.test\"]"));
        cli("pw\n", "user", "add", "alice@posthorn.test", "--password-stdin", "--config", configA.toString());
    }

    @AfterEach
    void stop() {
        System.setIn(originalIn);
        nodeA.close();
        nodeB.close();
    }

    @Test
    void aKeyMadeWithTheCliSignsMailThroughTheOtherNodeAndARotationFollows() throws Exception {
        String made = cli("", "dkim", "keygen", "posthorn.test", "--selector", "s1", "--algorithm", "rsa",
                "--config", configA.toString());
        assertThat(made).contains("Created s1._domainkey.posthorn.test in the database at ").contains("(active: signs");
        long createdAt = System.nanoTime();
        // The next key, made now and published with the first (rotation: publish first, activate later).
        assertThat(cli("", "dkim", "keygen", "posthorn.test", "--selector", "s2", "--config", configA.toString()))
                .contains("not active yet");

        // Both published on a real DNS server, as the store lists them (the call DNS pages use) ...
        PgDkimKeys keysOfB = new PgDkimKeys(nodeB.server().store().database().orElseThrow());
        List<String> zone = new ArrayList<>(List.of("mx.posthorn.test. A 127.0.0.1",
                "1.0.0.127.in-addr.arpa. PTR mx.posthorn.test."));
        keysOfB.list("posthorn.test").forEach(k -> zone.add(txt(k.recordName(), k.txtRecord())));
        try (UnboundServer dns = UnboundServer.start(Files.createDirectories(dir.resolve("dns")),
                List.of("test.", "127.in-addr.arpa."), zone)) {
            // ... which posthorn dns check finds in order, reading the keys from the database.
            String check = cliExit(1, "", "dns", "check", "posthorn.test", "--config", configA.toString(),
                    "--dns", dns.address());
            assertThat(check).contains("DKIM s1        DKIM key s1 is published and matches this server's key.")
                    .contains("DKIM s2        DKIM key s2 is published and matches this server's key.");
            dnsOut = cli("", "dns", "posthorn.test", "--config", configA.toString(), "--dns", dns.address());
        }
        String s1 = txtFromDns("s1");
        String s2 = txtFromDns("s2");

        String header = awaitSignedWith("s1", createdAt);
        List<DkimResult> results = DkimTest.verify(header + "\r\nbody\r\n",
                new StaticDns().txt("s1._domainkey.posthorn.test", s1), Clock.systemUTC());
        assertThat(results).extracting(DkimResult::verdict).containsExactly(DkimResult.Verdict.PASS);

        assertThat(cli("", "dkim", "activate", "posthorn.test", "s2", "--config", configA.toString()))
                .contains("now signed with selector s2");
        long activatedAt = System.nanoTime();
        String rotated = awaitSignedWith("s2", activatedAt);
        assertThat(DkimTest.verify(rotated + "\r\nbody\r\n",
                new StaticDns().txt("s2._domainkey.posthorn.test", s2), Clock.systemUTC()))
                .extracting(DkimResult::verdict).containsExactly(DkimResult.Verdict.PASS);
        assertThat(cli("", "dkim", "list", "--config", configA.toString()))
                .containsPattern("posthorn.test +s1 +rsa +inactive")
                .containsPattern("posthorn.test +s2 +rsa +active");
    }

    /** A TXT record as unbound.conf takes it: strings of at most 255 octets, others than these escaped. */
    private static String txt(String name, String value) {
        StringBuilder rr = new StringBuilder(name).append(". TXT");
        for (int i = 0; i < value.length(); i += 255) {
            rr.append(' ');
            for (char c : value.substring(i, Math.min(value.length(), i + 255)).toCharArray()) {
                rr.append(Character.isLetterOrDigit(c) || "+/=.-:@".indexOf(c) >= 0 ? String.valueOf(c)
                        : String.format("\\%03d", (int) c));
            }
        }
        return rr.toString();
    }

    /** What {@code posthorn dns posthorn.test} printed while the DNS server ran. */
    private String dnsOut;

    private String txtFromDns(String selector) {
        String out = dnsOut;
        int at = out.indexOf(selector + "._domainkey.posthorn.test");
        assertThat(at).as("posthorn dns prints the key's record:\n" + out).isNotNegative();
        int end = out.indexOf("\n\n", at);
        // The zone line's strings ("..." "...", perhaps over several lines) joined, as a resolver hands them over.
        StringBuilder value = new StringBuilder();
        Matcher part = Pattern.compile("\"([^\"]*)\"").matcher(out.substring(at, end < 0 ? out.length() : end));
        while (part.find()) {
            value.append(part.group(1));
        }
        String record = value.toString();
        String stored = new PgDkimKeysView(nodeB).txt(selector);
        assertThat(record).isEqualTo(stored);
        return record;
    }

    /** The keys as node B's server holds them: the store's list, the call DNS pages use. */
    private record PgDkimKeysView(RunningServer node) {
        String txt(String selector) {
            PgDkimKeys keys = new PgDkimKeys(node.server().store().database().orElseThrow());
            return keys.list("posthorn.test").stream().filter(k -> k.selector().equals(selector)).findFirst()
                    .map(DkimKeys.KeyInfo::txtRecord).orElseThrow();
        }
    }

    /**
     * Submits to node B until the stored copy is signed with {@code selector}; no message whose submission began a
     * second or more after the change may still carry another selector.
     */
    private String awaitSignedWith(String selector, long changedAt) throws Exception {
        for (int n = 0; ; n++) {
            long started = System.nanoTime();
            String header = submitToB("m" + n + "-" + selector);
            Matcher s = Pattern.compile("DKIM-Signature: [^\\r]*; s=([a-z0-9-]+);").matcher(header);
            String signedWith = s.find() ? s.group(1) : "none";
            if (signedWith.equals(selector)) {
                assertThat(header).contains("d=posthorn.test;");
                return header;
            }
            assertThat((started - changedAt) / 1_000_000L)
                    .as("ms after the change node B still signed with " + signedWith).isLessThan(1000);
        }
    }

    /** Submits as alice through node B; returns the header of the copy delivered (by whichever node). */
    private String submitToB(String subject) throws Exception {
        try (SmtpWire w = SmtpWire.submitting(nodeB.port(ListenerRole.SUBMISSION), "alice@posthorn.test", "pw")) {
            assertThat(w.command("MAIL FROM:<alice@posthorn.test>")).startsWith("250");
            assertThat(w.command("RCPT TO:<alice@posthorn.test>")).startsWith("250");
            assertThat(w.command("DATA")).startsWith("354");
            w.send("From: alice@posthorn.test\r\nTo: alice@posthorn.test\r\nSubject: " + subject
                    + "\r\n\r\nbody\r\n.\r\n");
            assertThat(w.reply()).startsWith("250 2.0.0 Ok: queued as ");
        }
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            List<Path> all = new ArrayList<>(nodeA.messages("alice@posthorn.test"));
            all.addAll(nodeB.messages("alice@posthorn.test"));
            for (Path file : all) {
                String text = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
                if (text.contains("\r\nSubject: " + subject + "\r\n")) {
                    return text.substring(0, text.indexOf("\r\n\r\n") + 2);
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("not delivered: " + subject);
    }

    private String cli(String stdin, String... args) {
        return cliExit(0, stdin, args);
    }

    private String cliExit(int expected, String stdin, String... args) {
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        CommandLine line = Main.commandLine();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        line.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        line.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        int code = line.execute(args);
        assertThat(code).as(String.join(" ", args) + ": " + err.toString(StandardCharsets.UTF_8)).isEqualTo(expected);
        return out.toString(StandardCharsets.UTF_8);
    }
}
