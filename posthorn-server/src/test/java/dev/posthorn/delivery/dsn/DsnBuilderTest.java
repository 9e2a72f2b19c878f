package dev.posthorn.delivery.dsn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.delivery.CatalogueExplainer;
import dev.posthorn.delivery.remote.RemoteReply;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** RFC 3464 reports, parsed back with Angus Mail to check their structure. */
class DsnBuilderTest {

    private static final Instant ARRIVAL = Instant.parse("2026-11-28T10:00:00Z");
    private static final Instant NOW = Instant.parse("2026-11-28T10:05:00Z");
    private static final RemoteReply USER_UNKNOWN = new RemoteReply(550, "5.1.1", List.of(
            "5.1.1 <bob@remote.test>: Recipient address rejected:", "5.1.1 User unknown in virtual mailbox table"));

    @TempDir
    Path dir;

    private Path original() throws Exception {
        Path p = dir.resolve("orig.msg");
        Files.writeString(p, "Received: from x by y\r\nFrom: alice@posthorn.test\r\nTo: bob@remote.test\r\n"
                + "Subject: Hello\r\nMessage-ID: <m1@posthorn.test>\r\n\r\nSecret body line\r\n");
        return p;
    }

    private static MimeMessage parse(byte[] bytes) throws Exception {
        return new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(bytes));
    }

    private static String text(Object content) throws Exception {
        if (content instanceof String s) {
            return s;
        }
        if (content instanceof InputStream in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (content instanceof Part p) {
            return text(p.getContent());
        }
        return String.valueOf(content);
    }

    @Test
    void aFailureReportQuotesTheRemoteReplyExplainsItAndReturnsTheMessage() throws Exception {
        DsnBuilder.Request request = new DsnBuilder.Request(DsnBuilder.Kind.FAILED, "mx.posthorn.test", "alice@posthorn.test",
                "ENV-42", ARRIVAL, List.of(new DsnBuilder.RecipientReport("bob@remote.test", "rfc822;bob+2Bx@remote.test",
                        "mx.remote.test", USER_UNKNOWN, NOW, null)), null, original());
        DsnBuilder.Built built = new DsnBuilder(new CatalogueExplainer(), ZoneOffset.UTC).build(request, NOW);

        MimeMessage dsn = parse(built.bytes());
        assertThat(dsn.getContentType()).startsWith("multipart/report; report-type=delivery-status;");
        assertThat(dsn.getHeader("Auto-Submitted", null)).isEqualTo("auto-replied");
        assertThat(dsn.getHeader("Date", null)).isEqualTo("Sat, 28 Nov 2026 10:05:00 +0000");
        Multipart parts = (Multipart) dsn.getContent();
        assertThat(parts.getCount()).isEqualTo(3);

        String human = text(parts.getBodyPart(0));
        assertThat(human).contains("The server mx.remote.test answered:\r\n"
                + "        550-5.1.1 <bob@remote.test>: Recipient address rejected:\r\n"
                + "        550 5.1.1 User unknown in virtual mailbox table\r\n");
        assertThat(human).contains("What this means: " + new CatalogueExplainer().explain(550, "5.1.1", java.util.Locale.ENGLISH));

        assertThat(parts.getBodyPart(1).getContentType()).isEqualTo("message/delivery-status");
        String status = text(parts.getBodyPart(1).getInputStream());
        assertThat(status).contains("Reporting-MTA: dns; mx.posthorn.test\r\n", "Original-Envelope-Id: ENV-42\r\n",
                "Arrival-Date: Sat, 28 Nov 2026 10:00:00 +0000\r\n", "\r\n\r\nFinal-Recipient: rfc822; bob@remote.test\r\n",
                "Original-Recipient: rfc822; bob+x@remote.test\r\n", "Action: failed\r\n", "Status: 5.1.1\r\n",
                "Remote-MTA: dns; mx.remote.test\r\n", "Last-Attempt-Date: Sat, 28 Nov 2026 10:05:00 +0000\r\n");
        assertThat(status.replace("\r\n ", " ")).contains("Diagnostic-Code: smtp; 550 5.1.1 <bob@remote.test>: "
                + "Recipient address rejected: 5.1.1 User unknown in virtual mailbox table");

        assertThat(parts.getBodyPart(2).getContentType()).isEqualTo("message/rfc822");
        MimeMessage returned = (MimeMessage) parts.getBodyPart(2).getContent();
        assertThat(returned.getSubject()).isEqualTo("Hello");
        assertThat(text(returned.getContent())).isEqualTo("Secret body line\r\n");
        assertThat(built.eightBit()).isFalse();
    }

    @Test
    void aDelayNoticeSaysUntilWhenAndReturnsOnlyHeaders() throws Exception {
        Instant until = ARRIVAL.plusSeconds(5 * 86400);
        RemoteReply refused = RemoteReply.local(451, "4.4.1", "Connection refused by 127.0.0.1:2526");
        DsnBuilder.Request request = new DsnBuilder.Request(DsnBuilder.Kind.DELAYED, "mx.posthorn.test", "alice@posthorn.test",
                null, ARRIVAL, List.of(new DsnBuilder.RecipientReport("bob@remote.test", null, null, refused, NOW, until)),
                null, original());
        MimeMessage dsn = parse(new DsnBuilder(new CatalogueExplainer(), ZoneOffset.UTC).build(request, NOW).bytes());
        assertThat(dsn.getSubject()).isEqualTo("Delayed Mail (still being retried)");
        Multipart parts = (Multipart) dsn.getContent();
        assertThat(text(parts.getBodyPart(0))).contains("        451 4.4.1 Connection refused by 127.0.0.1:2526\r\n",
                "Posthorn will keep trying until Thu, 3 Dec 2026 10:00:00 +0000.");
        String status = text(parts.getBodyPart(1).getInputStream());
        assertThat(status).contains("Action: delayed\r\n", "Status: 4.4.1\r\n",
                "Diagnostic-Code: x-posthorn; 451 4.4.1 Connection refused by 127.0.0.1:2526\r\n",
                "Will-Retry-Until: Thu, 3 Dec 2026 10:00:00 +0000\r\n").doesNotContain("Remote-MTA");
        assertThat(parts.getBodyPart(2).getContentType()).isEqualTo("text/rfc822-headers");
        assertThat(text(parts.getBodyPart(2).getInputStream())).contains("Subject: Hello").doesNotContain("Secret body line");
    }

    @Test
    void retHdrsReturnsOnlyHeadersOnFailureToo() throws Exception {
        DsnBuilder.Request request = new DsnBuilder.Request(DsnBuilder.Kind.FAILED, "mx.posthorn.test", "alice@posthorn.test",
                null, ARRIVAL, List.of(new DsnBuilder.RecipientReport("bob@remote.test", null, "mx.remote.test",
                        USER_UNKNOWN, NOW, null)), "HDRS", original());
        String dsn = new String(new DsnBuilder(new CatalogueExplainer(), ZoneOffset.UTC).build(request, NOW).bytes(),
                StandardCharsets.UTF_8);
        assertThat(dsn).contains("Content-Type: text/rfc822-headers").doesNotContain("Secret body line");
    }

    @Test
    void statusWithoutEnhancedCodeComesFromTheClass() {
        assertThat(DsnBuilder.status(RemoteReply.of(554, List.of("no")))).isEqualTo("5.0.0");
        assertThat(DsnBuilder.status(RemoteReply.of(421, List.of("busy")))).isEqualTo("4.0.0");
    }
}
