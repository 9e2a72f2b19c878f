package dev.posthorn.delivery;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.UUID;

/**
 * RFC 6409 §8.2-8.3: a submission server may add {@code Message-ID} and {@code Date} to a message that lacks
 * them. Only the header section is looked at; the fields to add are returned as CRLF-terminated lines, for the
 * spool to write before the message.
 */
public final class HeaderFixups {

    private static final DateTimeFormatter RFC5322 = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ENGLISH);

    private HeaderFixups() {
    }

    /**
     * @param head the start of the message: at least its header section, or all of it if shorter
     * @return the lines to add ("" when the message has both fields)
     */
    public static String missingFields(byte[] head, int length, String hostname, Instant now, ZoneId zone) {
        boolean hasMessageId = false;
        boolean hasDate = false;
        int lineStart = 0;
        for (int i = 0; i < length; i++) {
            if (head[i] != '\n') {
                continue;
            }
            int end = i > lineStart && head[i - 1] == '\r' ? i - 1 : i;
            if (end == lineStart) {
                break; // The empty line: end of the header section.
            }
            if (head[lineStart] != ' ' && head[lineStart] != '\t') {
                String name = fieldName(head, lineStart, end);
                hasMessageId |= name.equals("message-id");
                hasDate |= name.equals("date");
            }
            lineStart = i + 1;
        }
        StringBuilder add = new StringBuilder();
        if (!hasMessageId) {
            add.append("Message-ID: <").append(UUID.randomUUID()).append('@').append(hostname).append(">\r\n");
        }
        if (!hasDate) {
            add.append("Date: ").append(RFC5322.format(ZonedDateTime.ofInstant(now, zone))).append("\r\n");
        }
        return add.toString();
    }

    public static String missingFields(byte[] head, String hostname, Instant now, ZoneId zone) {
        return missingFields(head, head.length, hostname, now, zone);
    }

    private static String fieldName(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] == ':') {
                return new String(b, from, i - from, StandardCharsets.US_ASCII).trim().toLowerCase(Locale.ROOT);
            }
        }
        return "";
    }
}
