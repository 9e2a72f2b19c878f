package dev.posthorn.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.posthorn.auth.PasswdFile;
import dev.posthorn.delivery.fixtures.DovecotServer;
import dev.posthorn.store.UserStore;
import dev.posthorn.testing.ExternalTool;
import dev.posthorn.testing.RunningServer;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.Flags;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Store;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import org.eclipse.angus.mail.imap.IMAPFolder;
import org.eclipse.angus.mail.imap.protocol.BODY;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mail is readable where users read it: Posthorn delivers to its Maildir, a real Dovecot IMAP server (Debian's
 * dovecot-imapd, a private instance) serves that very tree with the README's configuration and users exported
 * from Posthorn's users.json by the README's script, and Angus Mail's IMAP client reads the message back octet
 * for octet, then sets flags that Dovecot writes into the Maildir file name.
 */
@Timeout(90)
class ImapReadabilityTest {

    private static final String USER = "alice@posthorn.test";
    private static final String PASSWORD = "correct horse battery staple";
    /** A mailbox without a login ({@code user add} without a password): it receives mail but opens to no password. */
    private static final String NO_LOGIN = "robot@posthorn.test";

    @TempDir
    Path dir;

    @Test
    void aMessagePosthornDeliveredIsFetchedOverImapOctetForOctetAndTakesFlags() throws Exception {
        Path data = dir.resolve("posthorn");
        UserStore.open(data).add(USER, PASSWORD.toCharArray());
        UserStore.open(data).add(NO_LOGIN, null);
        Path passwd = exportUsersWithTheReadmeScript(data.resolve("users.json"));
        // One file for both: Posthorn's passwd-file reader takes the exported Argon2id hashes too.
        assertThat(new PasswdFile(passwd).verify(USER, PASSWORD.toCharArray())).isTrue();

        try (RunningServer posthorn = RunningServer.start(data)) {
            String sent = "From: Sender <sender@origin.test>\r\nTo: <" + USER + ">\r\nSubject: Readable\r\n"
                    + "Message-ID: <readable@origin.test>\r\nMIME-Version: 1.0\r\n"
                    + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                    + "Grüße from Posthorn.\r\n.A line that starts with a dot.\r\n";
            sendWithSmtplib(posthorn.mxPort(), sent);
            List<Path> delivered = posthorn.awaitMessages(USER, 1, 10_000);
            assertThat(delivered).hasSize(1);
            Path file = delivered.get(0);
            String name = file.getFileName().toString();
            assertThat(name).matches("\\d+\\.Q[0-9A-Z]+R0\\.mx\\.posthorn\\.test");
            byte[] stored = Files.readAllBytes(file);
            assertThat(new String(stored, StandardCharsets.UTF_8)).startsWith("Return-Path: <sender@origin.test>\r\n"
                    + "Delivered-To: " + USER + "\r\nReceived: ").endsWith(sent);

            try (DovecotServer dovecot = DovecotServer.in(dir.resolve("dovecot")).mailRoot(posthorn.server().mailRoot())
                    .passwdFile(passwd).start()) {
                dovecot.grantMailAccess(posthorn.server().mailRoot());
                try {
                    readOverImap(dovecot, posthorn, file, stored);
                } catch (Exception | AssertionError e) {
                    throw new AssertionError(e.getMessage() + "\nDovecot's log:\n" + dovecot.log(), e);
                }
            }
        }
    }

    private void readOverImap(DovecotServer dovecot, RunningServer posthorn, Path file, byte[] stored) throws Exception {
                String name = file.getFileName().toString();
                Path maildir = file.getParent().getParent();

                Store store = imap(dovecot, PASSWORD);
                try {
                    IMAPFolder inbox = (IMAPFolder) store.getFolder("INBOX");
                    inbox.open(Folder.READ_WRITE);
                    assertThat(inbox.getMessageCount()).as(dovecot.log()).isEqualTo(1);
                    BODY body = (BODY) inbox.doCommand(p -> p.peekBody(1, ""));
                    assertThat(body.getByteArrayInputStream().readAllBytes()).isEqualTo(stored);

                    Message message = inbox.getMessage(1);
                    message.setFlags(new Flags(Flags.Flag.SEEN), true);
                    message.setFlags(new Flags(Flags.Flag.FLAGGED), true);
                    inbox.close(false);
                } finally {
                    store.close();
                }

                // Dovecot took the message out of new/ and wrote the flags into its name (Maildir's ":2," info).
                assertThat(list(maildir.resolve("new"))).isEmpty();
                assertThat(list(maildir.resolve("cur"))).containsExactly(name + ":2,FS");
                // Posthorn's crash recovery still recognises the delivery it made under its new name.
                assertThat(posthorn.server().localDelivery().mailboxFor(USER).contains(name)).isTrue();

                // A new session reads the flags back from the file, and Posthorn's next delivery joins the same box.
                sendWithSmtplib(posthorn.mxPort(), "Subject: second\r\n\r\nAnd another.\r\n");
                assertThat(posthorn.awaitMessages(USER, 2, 10_000)).hasSize(2);
                Store again = imap(dovecot, PASSWORD);
                try {
                    Folder inbox = again.getFolder("INBOX");
                    inbox.open(Folder.READ_ONLY);
                    assertThat(inbox.getMessageCount()).isEqualTo(2);
                    assertThat(inbox.getMessage(1).getFlags().contains(Flags.Flag.SEEN)).isTrue();
                    assertThat(inbox.getMessage(1).getFlags().contains(Flags.Flag.FLAGGED)).isTrue();
                    assertThat(inbox.getMessage(2).getSubject()).isEqualTo("second");
                    assertThat(inbox.getMessage(2).getFlags().contains(Flags.Flag.SEEN)).isFalse();
                    inbox.close(false);
                } finally {
                    again.close();
                }

                assertThatThrownBy(() -> imap(dovecot, "wrong password")).isInstanceOf(AuthenticationFailedException.class);
                assertThatThrownBy(() -> imap(dovecot, NO_LOGIN, "any password")).isInstanceOf(AuthenticationFailedException.class);
    }

    private static Store imap(DovecotServer dovecot, String password) throws Exception {
        return imap(dovecot, USER, password);
    }

    private static Store imap(DovecotServer dovecot, String user, String password) throws Exception {
        Properties props = new Properties();
        props.put("mail.imap.connectiontimeout", "10000");
        props.put("mail.imap.timeout", "10000");
        Store store = Session.getInstance(props).getStore("imap");
        store.connect("127.0.0.1", dovecot.imapPort(), user, password);
        return store;
    }

    private static void sendWithSmtplib(int port, String message) throws Exception {
        String script = """
                import smtplib, sys
                with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="py.client.test", timeout=10) as s:
                    s.sendmail("sender@origin.test", [sys.argv[2]], sys.stdin.buffer.read(), mail_options=["BODY=8BITMIME"])
                """;
        ExternalTool.Result r = ExternalTool.run(List.of("python3", "-c", script, String.valueOf(port), USER), message, 20);
        assertThat(r.exitCode()).as(r.output()).isZero();
    }

    /** Runs the README's export script, as the README shows it, so the documented recipe is the tested one. */
    private Path exportUsersWithTheReadmeScript(Path usersJson) throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        int section = readme.indexOf("## Reading mail with Dovecot");
        assertThat(section).as("README has its Dovecot section").isPositive();
        int start = readme.indexOf("<<'PY'\n", section);
        int end = readme.indexOf("\nPY\n", start);
        assertThat(start).isPositive();
        String script = readme.substring(start + "<<'PY'\n".length(), end + 1);
        Path passwd = dir.resolve("posthorn.passwd");
        // Root gives the file to Dovecot's group as the README says; a test run unprivileged uses its own group.
        String group = "root".equals(System.getProperty("user.name")) ? "dovecot"
                : Files.readAttributes(dir, PosixFileAttributes.class).group().getName();
        for (int run = 1; run <= 2; run++) { // the second run replaces the file, as after a "user add"
            ExternalTool.Result r = ExternalTool.run(
                    List.of("python3", "-", usersJson.toString(), passwd.toString(), group), script, 20);
            assertThat(r.exitCode()).as(r.output()).isZero();
        }
        // Only the owner writes and the group reads the hashes; no temporary file is left beside it.
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(passwd))).isEqualTo("rw-r-----");
        assertThat(Files.readAttributes(passwd, PosixFileAttributes.class).group().getName()).isEqualTo(group);
        assertThat(list(dir)).noneMatch(n -> n.startsWith(".posthorn.passwd."));
        assertThat(Files.readAllLines(passwd)).hasSize(2)
                .anySatisfy(line -> assertThat(line).startsWith(USER + ":{ARGON2ID}$argon2id$v=19$"))
                .contains(NO_LOGIN + ":::::::nologin");
        return passwd;
    }

    private static List<String> list(Path directory) throws Exception {
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
