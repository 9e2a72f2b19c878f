package dev.posthorn.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.posthorn.testing.ExternalTool;
import dev.posthorn.testing.RunningServer;
import jakarta.mail.Message;
import jakarta.mail.SendFailedException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The MX port driven by the clients people really use: Angus Mail, Python's smtplib and swaks. */
class RealClientsTest {

    @TempDir
    Path dataDir;
    RunningServer server;

    @BeforeEach
    void start() {
        server = RunningServer.start(dataDir);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void angusMailDeliversToTheMaildir() throws Exception {
        Properties props = new Properties();
        props.put("mail.smtp.host", "127.0.0.1");
        props.put("mail.smtp.port", String.valueOf(server.mxPort()));
        props.put("mail.smtp.localhost", "angus.client.test");
        Session session = Session.getInstance(props);
        MimeMessage message = new MimeMessage(session);
        message.setFrom(new InternetAddress("sender@example.org"));
        message.setRecipient(Message.RecipientType.TO, new InternetAddress("postmaster@posthorn.test"));
        message.setSubject("Grüße aus Jakarta", "UTF-8");
        message.setText("Merhaba dünya, ğüşıöç İ\n", "UTF-8");
        Transport.send(message);

        List<Path> delivered = server.awaitMessages("postmaster@posthorn.test", 1, 5000);
        assertThat(delivered).hasSize(1);
        String stored = Files.readString(delivered.get(0), StandardCharsets.UTF_8);
        assertThat(stored).startsWith("Return-Path: <sender@example.org>\r\n");
        assertThat(stored).contains("Received: from angus.client.test ([127.0.0.1])");
        assertThat(stored).contains("Subject: =?UTF-8?");
        try (var in = Files.newInputStream(delivered.get(0))) {
            MimeMessage received = new MimeMessage(session, in);
            assertThat(received.getSubject()).isEqualTo("Grüße aus Jakarta");
            assertThat(received.getContent().toString()).isEqualTo("Merhaba dünya, ğüşıöç İ\n");
        }
    }

    @Test
    void angusMailSeesUnknownUserAndRelayRefusals() throws Exception {
        Properties props = new Properties();
        props.put("mail.smtp.host", "127.0.0.1");
        props.put("mail.smtp.port", String.valueOf(server.mxPort()));
        Session session = Session.getInstance(props);
        MimeMessage message = new MimeMessage(session);
        message.setFrom(new InternetAddress("sender@example.org"));
        message.setRecipients(Message.RecipientType.TO, "nobody@posthorn.test, someone@elsewhere.example");
        message.setText("x");
        assertThatThrownBy(() -> Transport.send(message))
                .isInstanceOf(SendFailedException.class)
                .satisfies(e -> assertThat(chainMessages((SendFailedException) e))
                        .contains("550 5.1.1 <nobody@posthorn.test>: Recipient address rejected: User unknown")
                        .contains("550 5.7.1 <someone@elsewhere.example>: Relaying denied"));
    }

    /** Angus Mail reports each refused recipient as a chained exception carrying the server's reply. */
    private static String chainMessages(jakarta.mail.MessagingException e) {
        StringBuilder all = new StringBuilder();
        for (Exception next = e; next != null;
                next = next instanceof jakarta.mail.MessagingException m ? m.getNextException() : null) {
            all.append(next.getMessage()).append('\n');
        }
        return all.toString();
    }

    @Test
    void pythonSmtplibSendsAndSeesTheRefusal() throws Exception {
        String script = """
                import smtplib, sys
                from email.message import EmailMessage
                msg = EmailMessage()
                msg["From"] = "py@example.org"
                msg["To"] = "postmaster@localhost"
                msg["Subject"] = "from smtplib"
                msg.set_content("hello from python\\n.leading dot line\\n")
                with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="py.client.test") as s:
                    code, caps = s.ehlo()
                    assert code == 250, code
                    assert s.has_extn("pipelining") and s.has_extn("size") and s.has_extn("smtputf8")
                    s.send_message(msg)
                    try:
                        s.sendmail("py@example.org", ["x@relay.example"], "Subject: no\\r\\n\\r\\nno\\r\\n")
                        print("relayed?!")
                    except smtplib.SMTPRecipientsRefused as e:
                        code, text = e.recipients["x@relay.example"]
                        print(code, text.decode())
                """;
        ExternalTool.Result result = ExternalTool.run(List.of("python3", "-c", script,
                String.valueOf(server.mxPort())), 20);
        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output().strip()).isEqualTo("550 5.7.1 <x@relay.example>: Relaying denied");
        List<Path> delivered = server.awaitMessages("postmaster@localhost", 1, 5000);
        assertThat(delivered).isNotEmpty();
        String stored = Files.readString(delivered.get(delivered.size() - 1));
        assertThat(stored).contains("Subject: from smtplib").contains("\r\n.leading dot line\r\n");
    }

    @Test
    void swaksSendsAMessage() throws Exception {
        ExternalTool.Result result = ExternalTool.run(List.of("swaks", "--server", "127.0.0.1",
                "--port", String.valueOf(server.mxPort()), "--ehlo", "swaks.client.test",
                "--from", "swaks@example.org", "--to", "Postmaster@POSTHORN.test",
                "--header", "Subject: via swaks", "--body", "swaks body"), 20);
        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).contains("<-  220 mx.posthorn.test ESMTP Posthorn ")
                .contains("<-  250 2.0.0 Ok: queued as ");
        assertThat(server.awaitMessages("postmaster@posthorn.test", 1, 5000))
                .anySatisfy(p -> assertThat(Files.readString(p)).contains("Subject: via swaks"));
    }
}
