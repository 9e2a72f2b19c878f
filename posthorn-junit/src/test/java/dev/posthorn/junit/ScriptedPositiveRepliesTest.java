package dev.posthorn.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.posthorn.smtp.session.ReplyScript.Stage;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A scripted positive reply changes the text of the server's own reply, never its code: a 250 in place of DATA's
 * 354 (RFC 5321 §4.3.2) or of AUTH's 334 challenge (RFC 4954 §4) would tell the client something the session is
 * not doing, and the two would go out of step. Such a rule is refused when it is written.
 */
class ScriptedPositiveRepliesTest {

    @RegisterExtension
    static PosthornExtension mail = PosthornExtension.start();

    @Test
    void aPositiveReplyOfAnotherCodeThanTheStagesIsRefused() {
        assertThatThrownBy(() -> mail.when(Stage.DATA).reply("250 2.0.0 Fine"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("a scripted positive reply at DATA must have the code the server answers "
                        + "there (354), not 250");
        assertThatThrownBy(() -> mail.when(Stage.AUTH).reply("250 2.0.0 Fine"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at AUTH").hasMessageContaining("(334 or 235)");
        assertThatThrownBy(() -> mail.when(Stage.CONNECT).reply("250 hello"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("(220)");
    }

    @Test
    void aScriptedGoAheadAtDataKeepsTheSessionInStep() throws Exception {
        mail.when(Stage.DATA).reply("354 Go on, slowly");
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", mail.smtpPort()), 5000);
            socket.setSoTimeout(5000);
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.US_ASCII));
            OutputStream out = socket.getOutputStream();
            assertThat(reply(in)).startsWith("220");
            for (String[] step : new String[][] {{"HELO client.test", "250"}, {"MAIL FROM:<a@shop.test>", "250"},
                    {"RCPT TO:<b@here.test>", "250"}, {"DATA", "354 Go on, slowly"},
                    {"Subject: in step\r\n\r\nhi\r\n.", "250"}, {"NOOP", "250"}}) {
                out.write((step[0] + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                assertThat(reply(in)).as(step[0]).startsWith(step[1]);
            }
        }
        assertThat(mail.messages()).singleElement().satisfies(m -> assertThat(m.subject()).isEqualTo("in step"));
    }

    /** The last line of a reply. */
    private static String reply(BufferedReader in) throws Exception {
        String line;
        do {
            line = in.readLine();
        } while (line != null && line.length() > 3 && line.charAt(3) == '-');
        return line;
    }
}
