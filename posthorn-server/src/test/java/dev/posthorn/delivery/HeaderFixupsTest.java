package dev.posthorn.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class HeaderFixupsTest {

    private static final Instant NOW = Instant.parse("2026-11-28T14:00:00Z");

    private static String fix(String message) {
        return HeaderFixups.missingFields(message.getBytes(StandardCharsets.UTF_8), "mx.posthorn.test", NOW, ZoneOffset.UTC);
    }

    @Test
    void aMessageWithoutMessageIdAndDateGetsBoth() {
        String added = fix("From: a@x\r\nSubject: hi\r\n\r\nDate: in the body does not count\r\n");
        assertThat(added).matches("Message-ID: <[0-9a-f-]{36}@mx\\.posthorn\\.test>\r\nDate: Sat, 28 Nov 2026 14:00:00 \\+0000\r\n");
    }

    @Test
    void existingFieldsAreKeptWhateverTheirCase() {
        assertThat(fix("message-id: <a@b>\r\nDATE: Sat, 28 Nov 2026 13:00:00 +0000\r\n\r\nbody\r\n")).isEmpty();
    }

    @Test
    void aFoldedContinuationIsNotAFieldName() {
        assertThat(fix("Subject: x\r\n Date: folded\r\nMessage-ID: <a@b>\r\n\r\n")).startsWith("Date: ");
    }
}
