package dev.posthorn.smtp.session;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.policy.HeaderFrom;
import org.junit.jupiter.api.Test;

/** What the header scanner still sees once the From:/Sender: values it keeps reach their 64 KiB cap. */
class HeaderScannerLimitsTest {

    /**
     * Found by review (issue 10): the cap ended the whole scan, so Received: fields after a 64 KiB From: were not
     * counted and a mail loop could pass the hop limit (RFC 5321 §6.3) behind a long From:.
     */
    @Test
    void receivedFieldsAfterAFromBeyondTheCapStillCount() {
        StringBuilder header = new StringBuilder("From: ").append("a@b.c, ".repeat(10_000)).append("a@b.c\r\n");
        header.append("Received: from a by b; Tue, 1 Dec 2026 00:00:00 +0000\r\n".repeat(150));
        header.append("From: second@b.c\r\n\r\n");
        HeaderScanner scanner = new HeaderScanner();
        for (byte b : header.toString().getBytes(US_ASCII)) {
            scanner.accept(b);
        }
        assertThat(scanner.receivedCount()).isEqualTo(150);
        assertThat(scanner.senders()).isInstanceOf(HeaderFrom.Unexamined.class);
    }
}
