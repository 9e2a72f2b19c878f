package dev.posthorn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.posthorn.testing.ExternalTool;
import dev.posthorn.testing.ServerProcess;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code posthorn serve --capture --script FILE} for tests in any language: Python's smtplib meets the scripted
 * and triggered refusals as exact replies, and polls the captured mail over HTTP.
 */
class ServeCaptureTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void aPythonClientMeetsScriptedRepliesAndReadsCapturedMailOverHttp() throws Exception {
        int mx = freePort();
        int web = freePort();
        Path config = dir.resolve("posthorn.toml");
        Files.writeString(config, "[mailauth]\nenabled = false\n");
        Path script = dir.resolve("script.toml");
        Files.writeString(script, """
                [[rule]]
                stage = "rcpt"
                recipient = "*@blocked.test"
                reply = "550 5.1.1 Blocked for the test"
                """);
        try (ServerProcess server = ServerProcess.start(dir.resolve("data"), mx, dir.resolve("server.log"),
                "--capture", "--script", script.toString(), "--config", config.toString(), "--web-port",
                String.valueOf(web))) {
            String python = """
                    import smtplib, sys
                    from email.message import EmailMessage
                    msg = EmailMessage()
                    msg["From"] = "app@shop.example"
                    msg["To"] = "bob@customer.example"
                    msg["Subject"] = "Order 17 shipped"
                    msg.set_content("Your parcel is on its way.")
                    with smtplib.SMTP("127.0.0.1", int(sys.argv[1])) as s:
                        s.send_message(msg)
                        for rcpt in ["451-4.7.1@fail.test", "ann@blocked.test"]:
                            try:
                                s.sendmail("app@shop.example", [rcpt], "Subject: no\\r\\n\\r\\nno\\r\\n")
                            except smtplib.SMTPRecipientsRefused as e:
                                code, text = e.recipients[rcpt]
                                print(code, text.decode())
                    """;
            ExternalTool.Result sent = ExternalTool.run(List.of("python3", "-c", python, String.valueOf(mx)), 30);
            assertThat(sent.exitCode()).as(sent.output()).isZero();
            assertThat(sent.output().strip().lines()).containsExactly(
                    "451 4.7.1 Delivery Not Authorized, Message Refused",
                    "550 5.1.1 Blocked for the test");

            // serve opens the SMTP ports first and the web port after them: under load that can take a while.
            awaitListening(web);
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + web + "/api/v1/capture";
            HttpResponse<String> list = http.send(HttpRequest.newBuilder(URI.create(base
                    + "/messages?to=bob@customer.example")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(list.statusCode()).isEqualTo(200);
            JsonNode messages = JSON.readTree(list.body()).get("messages");
            assertThat(messages).hasSize(1);
            assertThat(messages.get(0).get("subject").asText()).isEqualTo("Order 17 shipped");
            assertThat(messages.get(0).get("envelope_recipients").toString()).isEqualTo("[\"bob@customer.example\"]");
            String id = messages.get(0).get("id").asText();

            HttpResponse<String> one = http.send(HttpRequest.newBuilder(URI.create(base + "/messages/" + id)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(JSON.readTree(one.body()).get("text").asText()).isEqualTo("Your parcel is on its way.");

            HttpResponse<String> events = http.send(HttpRequest.newBuilder(URI.create(base + "/events")).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode scripted = JSON.readTree(events.body()).get("events");
            assertThat(scripted).hasSize(2);
            assertThat(scripted.get(1).get("sent").asText()).isEqualTo("rcpt TO:<ann@blocked.test>"); // as smtplib sent it
            assertThat(scripted.get(1).get("reply").asText()).isEqualTo("550 5.1.1 Blocked for the test");
            assertThat(scripted.get(1).get("explanation").get(1).asText()).startsWith("5.1.1: Bad Destination Mailbox Address. ");

            HttpResponse<String> cleared = http.send(HttpRequest.newBuilder(URI.create(base + "/messages"))
                    .DELETE().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(cleared.statusCode()).isEqualTo(204);
            HttpResponse<String> empty = http.send(HttpRequest.newBuilder(URI.create(base + "/messages")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(JSON.readTree(empty.body()).get("messages")).isEmpty();
        }
    }

    /** A wait for a condition, with a generous cap: a JVM started on a loaded machine is slow (ServerProcess). */
    private static void awaitListening(int port) throws Exception {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(90);
        while (true) {
            try (java.net.Socket socket = new java.net.Socket()) {
                socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (java.io.IOException notYet) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the web port " + port + " did not open within 90 s", notYet);
                }
                Thread.sleep(50);
            }
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
