package dev.posthorn.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.smtp.protocol.ListenerRole;
import dev.posthorn.store.DirectoryStore;
import dev.posthorn.store.StoreConfig;
import dev.posthorn.testing.Logins;
import dev.posthorn.testing.PostgresServer;
import dev.posthorn.testing.RunningServer;
import dev.posthorn.testing.SmtpWire;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server whose users and domains live in PostgreSQL: real clients log in with PLAIN (Angus Mail) and
 * SCRAM-SHA-256 against credentials read from the database, and mail is accepted for domains kept there.
 */
class PgStoreAuthTest {

    static final String ALICE = "alice@posthorn.test";
    static final String BOB = "bob@posthorn.test";
    static final String PASSWORD = "correct horse";

    @TempDir
    static Path dataDir;
    static StoreConfig store;
    static RunningServer server;
    static DirectoryStore users;

    @BeforeAll
    static void start() {
        store = PostgresServer.shared().newStoreConfig();
        server = RunningServer.start(dataDir, c -> c.store = store);
        users = server.server().store().directory();
        users.add(ALICE, PASSWORD.toCharArray());
        users.add(BOB, "bobs password".toCharArray());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void angusMailLogsInWithPlainAndTheMessageReachesTheMailbox() throws Exception {
        Properties props = new Properties();
        props.put("mail.smtps.host", "127.0.0.1");
        props.put("mail.smtps.port", String.valueOf(server.port(ListenerRole.SUBMISSIONS)));
        props.put("mail.smtps.auth", "true");
        props.put("mail.smtps.auth.mechanisms", "PLAIN");
        props.put("mail.smtps.ssl.trust", "*");
        props.put("mail.smtps.ssl.checkserveridentity", "false");
        props.put("mail.smtps.connectiontimeout", "10000");
        props.put("mail.smtps.timeout", "10000");
        Session session = Session.getInstance(props);
        MimeMessage message = new MimeMessage(session);
        message.setFrom(new InternetAddress(ALICE));
        message.setRecipient(Message.RecipientType.TO, new InternetAddress(BOB));
        message.setSubject("from the database");
        message.setText("Logged in with a password hash read from PostgreSQL\n", "UTF-8");
        try (Transport transport = session.getTransport("smtps")) {
            transport.connect(ALICE, PASSWORD);
            transport.sendMessage(message, message.getAllRecipients());
        }

        List<Path> delivered = server.awaitMessages(BOB, 1, 10_000);
        assertThat(delivered).hasSize(1);
        assertThat(Files.readString(delivered.get(0))).contains("authenticated as " + ALICE, "Subject: from the database");
    }

    @Test
    void scramSha256UsesTheKeysStoredInTheDatabase() throws Exception {
        assertThat(Logins.scram(server.port(ListenerRole.SUBMISSIONS), ALICE, PASSWORD)).isEqualTo(Logins.OK);
        assertThat(Logins.scram(server.port(ListenerRole.SUBMISSIONS), ALICE, "wrong")).isEqualTo(Logins.INVALID);
        // The keys the exchange used are those in the row, not something derived on the fly.
        try (Connection c = PostgresServer.shared().connect(store.url);
                var s = c.prepareStatement("SELECT scram_iterations, length(scram_stored_key), password_hash"
                        + " FROM accounts WHERE address = ?")) {
            s.setString(1, ALICE);
            try (var r = s.executeQuery()) {
                assertThat(r.next()).isTrue();
                assertThat(r.getInt(1)).isEqualTo(4096);
                assertThat(r.getInt(2)).isEqualTo(32);
                assertThat(r.getString(3)).startsWith("$argon2id$");
            }
        }
    }

    @Test
    void plainWithAWrongPasswordOrAnUnknownUserGets535() throws Exception {
        int port = server.port(ListenerRole.SUBMISSIONS);
        assertThat(Logins.plain(port, BOB, "bobs password")).isEqualTo(Logins.OK);
        assertThat(Logins.plain(port, BOB, "not it")).isEqualTo(Logins.INVALID);
        assertThat(Logins.plain(port, "nobody@posthorn.test", "x")).isEqualTo(Logins.INVALID);
    }

    @Test
    void theConfiguredDomainsAreSeededAndADomainAddedToTheDatabaseIsHostedAtOnce() throws Exception {
        assertThat(users.domains()).containsExactly("localhost", "posthorn.test");
        try (SmtpWire wire = SmtpWire.connect(server.mxPort())) {
            wire.reply();
            wire.command("EHLO client.test");
            wire.command("MAIL FROM:<someone@example.org>");
            assertThat(wire.command("RCPT TO:<carol@shop.test>"))
                    .isEqualTo("550 5.7.1 <carol@shop.test>: Relaying denied");

            users.addDomain("shop.test");
            users.add("carol@shop.test", null);
            assertThat(wire.command("RCPT TO:<carol@shop.test>")).isEqualTo("250 2.1.5 Recipient OK");
            assertThat(wire.command("RCPT TO:<dave@shop.test>"))
                    .isEqualTo("550 5.1.1 <dave@shop.test>: Recipient address rejected: User unknown");
        }
    }
}
