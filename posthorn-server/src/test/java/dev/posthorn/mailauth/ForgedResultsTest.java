package dev.posthorn.mailauth;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * RFC 8601 §5: an Authentication-Results field with our authserv-id that arrives from outside is removed, in
 * every spelling a reader downstream could still take for ours, wherever it stands in the header section.
 */
class ForgedResultsTest {

    static final String ID = "mx.posthorn.test";

    /** The message as the MX port's inspection passes it on to the spool. */
    static String stored(String message) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        MessageTap tap = new MessageTap(out, f -> AuthResults.claims(f, ID), h -> Set.of());
        tap.write(message.getBytes(StandardCharsets.ISO_8859_1));
        tap.finish();
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    static String forged(String value) throws Exception {
        return stored("Authentication-Results:" + value + "\r\nFrom: a@bank.example\r\n\r\nbody\r\n");
    }

    @Test
    void everySpellingOfOurIdIsRemoved() throws Exception {
        for (String value : new String[] {
                " " + ID + "; dmarc=pass",
                " " + ID + "\t1; dmarc=pass",                 // a tab before the version
                " " + ID + "\r\n\t1; dmarc=pass",             // folded between id and version
                " (a (b) c) " + ID + "; dmarc=pass",          // a nested comment before the id
                "\t" + ID.toUpperCase() + "; dmarc=pass",     // case
                " \"" + ID + "\"; dmarc=pass",                // quoted-string
                " " + ID + ".; dmarc=pass",                   // a final dot
                " " + ID + "(comment); dmarc=pass",
                " (unclosed " + ID + "; dmarc=pass",          // no id can be read: removed too
                "; dmarc=pass"}) {
            assertThat(forged(value)).as(value).doesNotContain("dmarc=pass").startsWith("From: a@bank.example\r\n");
        }
        assertThat(stored("AUTHENTICATION-RESULTS : " + ID + "; dmarc=pass\r\nFrom: a@b.example\r\n\r\nx\r\n"))
                .doesNotContain("dmarc=pass");
    }

    @Test
    void otherServersResultsAreKept() throws Exception {
        for (String value : new String[] {" mx.other.example; dmarc=pass", " " + ID + ".evil; dmarc=pass",
                " (" + ID + ") mx.other.example; dmarc=pass", " evil" + ID + "; dmarc=pass"}) {
            assertThat(forged(value)).as(value).startsWith("Authentication-Results:" + value + "\r\n");
        }
    }

    /** Past the thousand fields the checks keep, fields are still filtered, and bytes still all pass through. */
    @Test
    void aForgeryAfterAThousandFieldsOrBehindAHugeFieldIsRemoved() throws Exception {
        String many = "X-F: 1\r\n".repeat(1001);
        String stored = stored(many + "Authentication-Results: " + ID + "; dmarc=pass\r\nFrom: a@b.example\r\n\r\nx\r\n");
        assertThat(stored).isEqualTo(many + "From: a@b.example\r\n\r\nx\r\n");

        String huge = "X-Big: " + "y".repeat(600 * 1024) + "\r\n";
        stored = stored(huge + "Authentication-Results: " + ID + "; dmarc=pass\r\nFrom: a@b.example\r\n\r\nx\r\n");
        assertThat(stored).isEqualTo(huge + "From: a@b.example\r\n\r\nx\r\n");

        String hugeForgery = "Authentication-Results: " + ID + "; dmarc=pass " + "y".repeat(100 * 1024) + "\r\n";
        assertThat(stored(hugeForgery + "From: a@b.example\r\n\r\nx\r\n")).isEqualTo("From: a@b.example\r\n\r\nx\r\n");
    }

    @Test
    void aHeaderPastTheLimitsIsPassedOnButNotJudged() throws Exception {
        MessageTap tap = new MessageTap(new ByteArrayOutputStream(), f -> false, h -> Set.of());
        tap.write(("X-F: 1\r\n".repeat(1001) + "From: a@b.example\r\n\r\nx\r\n").getBytes(StandardCharsets.US_ASCII));
        tap.finish();
        assertThat(tap.header().complete()).isFalse();
        assertThat(tap.bodyHashes()).isNull();
    }
}
