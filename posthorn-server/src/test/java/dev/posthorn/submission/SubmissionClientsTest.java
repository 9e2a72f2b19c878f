package dev.posthorn.submission;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.smtp.protocol.ListenerRole;
import dev.posthorn.store.UserStore;
import dev.posthorn.testing.ExternalTool;
import dev.posthorn.testing.RunningServer;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The submission ports driven by the clients people use: Angus Mail (Jakarta Mail) with STARTTLS on 587 and
 * SMTPS on 465, swaks, {@code openssl s_client -starttls smtp} and Python's smtplib. Each message is followed
 * to the recipient's Maildir, where its Received: field must show TLS and the authenticated user.
 */
class SubmissionClientsTest {

    static final String ALICE = "alice@posthorn.test";
    static final String BOB = "bob@posthorn.test";
    static final String PASSWORD = "s3cret pass";

    @TempDir
    static Path dataDir;
    static RunningServer server;

    @BeforeAll
    static void start() {
        UserStore users = UserStore.open(dataDir);
        users.add(ALICE, PASSWORD.toCharArray());
        users.add(BOB, "bobs password".toCharArray());
        server = RunningServer.start(dataDir);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static int submission() {
        return server.port(ListenerRole.SUBMISSION);
    }

    static int smtps() {
        return server.port(ListenerRole.SUBMISSIONS);
    }

    /** Waits for the message with this subject in bob's mailbox and checks its trace field. */
    static String delivered(String subject) throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + 10_000;
        while (System.currentTimeMillis() < deadline) {
            for (Path file : server.messages(BOB)) {
                String text = Files.readString(file, UTF_8);
                if (text.contains("Subject: " + subject)) {
                    String received = text.substring(text.indexOf("Received: "));
                    received = received.substring(0, received.indexOf(";"));
                    assertThat(received).contains("with ESMTPSA", "version=TLSv1.3 cipher=TLS_",
                            "authenticated as " + ALICE);
                    return text;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no message '" + subject + "' delivered to " + BOB);
    }

    // ---------------------------------------------------------------- Angus Mail

    @Test
    void angusMailWithStarttlsAndAuthOn587() throws Exception {
        Properties props = new Properties();
        props.put("mail.smtp.host", "127.0.0.1");
        props.put("mail.smtp.port", String.valueOf(submission()));
        props.put("mail.smtp.auth", "true");
        props.put("mail.smtp.starttls.enable", "true");
        props.put("mail.smtp.starttls.required", "true");
        props.put("mail.smtp.ssl.trust", "*");
        props.put("mail.smtp.ssl.checkserveridentity", "false"); // a self-signed certificate for mx.posthorn.test
        props.put("mail.smtp.localhost", "angus.client.test");
        props.put("mail.smtp.connectiontimeout", "10000");
        props.put("mail.smtp.timeout", "10000");
        Session session = Session.getInstance(props);
        MimeMessage message = new MimeMessage(session);
        message.setFrom(new InternetAddress(ALICE));
        message.setRecipient(Message.RecipientType.TO, new InternetAddress(BOB));
        message.setSubject("angus 587");
        message.setText("Hello through STARTTLS\n", "UTF-8");
        Transport.send(message, ALICE, PASSWORD);

        String stored = delivered("angus 587");
        assertThat(stored).contains("Received: from angus.client.test ([127.0.0.1])");
        assertThat(stored).contains("Hello through STARTTLS");
    }

    @Test
    void angusMailWithSmtpsOn465() throws Exception {
        Properties props = new Properties();
        props.put("mail.smtps.host", "127.0.0.1");
        props.put("mail.smtps.port", String.valueOf(smtps()));
        props.put("mail.smtps.auth", "true");
        props.put("mail.smtps.ssl.trust", "*");
        props.put("mail.smtps.ssl.checkserveridentity", "false");
        props.put("mail.smtps.auth.mechanisms", "PLAIN");
        props.put("mail.smtps.localhost", "angus.client.test");
        props.put("mail.smtps.connectiontimeout", "10000");
        props.put("mail.smtps.timeout", "10000");
        Session session = Session.getInstance(props);
        MimeMessage message = new MimeMessage(session);
        message.setFrom(new InternetAddress(ALICE));
        message.setRecipient(Message.RecipientType.TO, new InternetAddress(BOB));
        message.setSubject("angus 465");
        message.setText("Hello through implicit TLS\n", "UTF-8");
        try (Transport transport = session.getTransport("smtps")) {
            transport.connect(ALICE, PASSWORD);
            transport.sendMessage(message, message.getAllRecipients());
        }
        assertThat(delivered("angus 465")).contains("Hello through implicit TLS");
    }

    // ---------------------------------------------------------------- swaks

    /** swaks speaks TLS only with Perl's Net::SSLeay; say so plainly instead of failing on its output. */
    static void swaksHasTls() throws Exception {
        ExternalTool.Result support = ExternalTool.run(List.of("swaks", "--support"), 30);
        assertThat(support.output()).as("swaks needs Net::SSLeay for --tls: apt-get install libnet-ssleay-perl")
                .contains("=== TLS supported");
    }

    @Test
    void swaksWithTlsAndAuthPlainOn587() throws Exception {
        swaksHasTls();
        ExternalTool.Result result = ExternalTool.run(List.of("swaks", "--server", "127.0.0.1:" + submission(),
                "--tls", "--auth", "PLAIN", "--auth-user", ALICE, "--auth-password", PASSWORD,
                "--from", ALICE, "--to", BOB, "--ehlo", "swaks.client.test",
                "--header", "Subject: swaks 587", "--body", "hello from swaks"), 60);
        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).contains("<-  220 2.0.0 Ready to start TLS", "<~  235 2.7.0 Authentication successful",
                "<~  250 2.0.0 Ok: queued as ");
        delivered("swaks 587");
    }

    @Test
    void swaksWithTlsOnConnectOn465() throws Exception {
        swaksHasTls();
        ExternalTool.Result result = ExternalTool.run(List.of("swaks", "--server", "127.0.0.1:" + smtps(),
                "--tls-on-connect", "--auth", "PLAIN", "--auth-user", ALICE, "--auth-password", PASSWORD,
                "--from", ALICE, "--to", BOB, "--ehlo", "swaks.client.test",
                "--header", "Subject: swaks 465", "--body", "hello from swaks"), 60);
        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).contains("<~  235 2.7.0 Authentication successful",
                "<~  250 2.0.0 Ok: queued as ");
        delivered("swaks 465");
    }

    @Test
    void swaksWithoutAuthGets530AtMail() throws Exception {
        swaksHasTls();
        ExternalTool.Result result = ExternalTool.run(List.of("swaks", "--server", "127.0.0.1:" + submission(),
                "--tls", "--from", ALICE, "--to", BOB, "--ehlo", "swaks.client.test"), 60);
        assertThat(result.exitCode()).as(result.output()).isNotZero();
        assertThat(result.output()).contains("<~* 530 5.7.0 Authentication required");
    }

    // ---------------------------------------------------------------- openssl s_client

    @Test
    void opensslStarttlsSessionScriptedThroughStdin() throws Exception {
        Process process = new ProcessBuilder("openssl", "s_client", "-starttls", "smtp", "-connect",
                "127.0.0.1:" + submission(), "-quiet").redirectError(ProcessBuilder.Redirect.DISCARD).start();
        List<String> seen = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), UTF_8));
                OutputStream in = process.getOutputStream()) {
            String plain = Base64.getEncoder().encodeToString(("\0" + ALICE + "\0" + PASSWORD).getBytes(UTF_8));
            // One command at a time, each after the reply to the one before (no pipelining before AUTH).
            step(in, out, seen, "EHLO openssl.client.test", "250 ");
            step(in, out, seen, "AUTH PLAIN " + plain, "235 2.7.0 Authentication successful");
            step(in, out, seen, "MAIL FROM:<" + ALICE + ">", "250 2.1.0 Sender OK");
            step(in, out, seen, "RCPT TO:<" + BOB + ">", "250 2.1.5 Recipient OK");
            step(in, out, seen, "DATA", "354 End data with <CR><LF>.<CR><LF>");
            step(in, out, seen, "From: " + ALICE + "\r\nSubject: openssl 587\r\n\r\nhello from s_client\r\n.",
                    "250 2.0.0 Ok: queued as ");
            step(in, out, seen, "QUIT", "221 2.0.0 ");
        } finally {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
        delivered("openssl 587");
    }

    /** Sends one line and reads output until a line starting with {@code expected} (failing on another final reply). */
    private static void step(OutputStream in, BufferedReader out, List<String> seen, String line, String expected)
            throws IOException {
        in.write((line + "\r\n").getBytes(UTF_8));
        in.flush();
        while (true) {
            String reply = out.readLine();
            assertThat(reply).as("openssl ended; so far: %s", seen).isNotNull();
            seen.add(reply);
            if (reply.startsWith(expected)) {
                return;
            }
            // Only continuation lines (NNN-) may come before the expected final line.
            assertThat(reply).as("after %s; so far: %s", line, seen).matches("\\d{3}-.*");
        }
    }

    // ---------------------------------------------------------------- Python smtplib

    static final String PYTHON_PRELUDE = """
            import smtplib, ssl, sys
            from email.message import EmailMessage
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            host, port, user, password, to, subject = sys.argv[1:7]
            msg = EmailMessage()
            msg["From"] = user
            msg["To"] = to
            msg["Subject"] = subject
            msg.set_content("hello from smtplib")
            """;

    @Test
    void pythonSmtplibStarttlsAndLoginOn587() throws Exception {
        String script = PYTHON_PRELUDE + """
                with smtplib.SMTP(host, int(port), local_hostname="python.client.test", timeout=20) as s:
                    s.ehlo()
                    assert s.has_extn("starttls") and not s.has_extn("auth"), s.esmtp_features
                    s.starttls(context=ctx)
                    s.ehlo()
                    assert not s.has_extn("starttls"), s.esmtp_features
                    print("AUTH", s.esmtp_features["auth"])
                    print("LOGIN", s.login(user, password))
                    s.send_message(msg)
                    print("SENT")
                """;
        ExternalTool.Result result = ExternalTool.run(List.of("python3", "-c", script, "127.0.0.1",
                String.valueOf(submission()), ALICE, PASSWORD, BOB, "python 587"), 60);
        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).contains("LOGIN (235, b'2.7.0 Authentication successful')", "SENT");
        assertThat(result.output()).contains("PLAIN", "LOGIN", "SCRAM-SHA-256");
        delivered("python 587");
    }

    @Test
    void pythonSmtplibSmtpSslOn465() throws Exception {
        String script = PYTHON_PRELUDE + """
                with smtplib.SMTP_SSL(host, int(port), local_hostname="python.client.test", context=ctx, timeout=20) as s:
                    s.ehlo()
                    assert not s.has_extn("starttls"), s.esmtp_features
                    print("LOGIN", s.login(user, password))
                    s.send_message(msg)
                    print("SENT", s.sock.version())
                """;
        ExternalTool.Result result = ExternalTool.run(List.of("python3", "-c", script, "127.0.0.1",
                String.valueOf(smtps()), ALICE, PASSWORD, BOB, "python 465"), 60);
        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).contains("LOGIN (235, b'2.7.0 Authentication successful')", "SENT TLSv1.3");
        delivered("python 465");
    }

    @Test
    void pythonSmtplibWithoutLoginGetsSenderRefused530() throws Exception {
        String script = PYTHON_PRELUDE + """
                with smtplib.SMTP(host, int(port), local_hostname="python.client.test", timeout=20) as s:
                    s.starttls(context=ctx)
                    try:
                        s.send_message(msg)
                        print("UNEXPECTED: sent")
                    except smtplib.SMTPSenderRefused as e:
                        print("REFUSED", e.smtp_code, e.smtp_error.decode())
                """;
        ExternalTool.Result result = ExternalTool.run(List.of("python3", "-c", script, "127.0.0.1",
                String.valueOf(submission()), ALICE, PASSWORD, BOB, "python refused"), 60);
        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).contains("REFUSED 530 5.7.0 Authentication required");
    }

    @Test
    void pythonSmtplibSendingBeforeStarttlsGets530MustIssueStarttls() throws Exception {
        String script = PYTHON_PRELUDE + """
                with smtplib.SMTP(host, int(port), local_hostname="python.client.test", timeout=20) as s:
                    try:
                        s.send_message(msg)
                        print("UNEXPECTED: sent")
                    except smtplib.SMTPSenderRefused as e:
                        print("REFUSED", e.smtp_code, e.smtp_error.decode())
                """;
        ExternalTool.Result result = ExternalTool.run(List.of("python3", "-c", script, "127.0.0.1",
                String.valueOf(submission()), ALICE, PASSWORD, BOB, "python plaintext"), 60);
        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).contains("REFUSED 530 5.7.0 Must issue a STARTTLS command first");
    }
}
