package dev.posthorn.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.delivery.CatalogueExplainer;
import dev.posthorn.delivery.dsn.DsnBuilder;
import dev.posthorn.delivery.remote.RemoteReply;
import dev.posthorn.spool.Envelope;
import dev.posthorn.spool.EnvelopeRecipient;
import dev.posthorn.spool.StoreUnavailableException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A notice that cannot be queued must not keep its message forever: one too large with the whole original goes
 * with the headers only, and one that still cannot be queued after a bounded number of tries over a bounded time
 * is given up (logged), so the message can finish.
 */
class NoticesTest {

    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    private static final String BODY_MARK = "the-original-body-line";

    @TempDir
    Path dir;

    private final DsnBuilder builder = new DsnBuilder(new CatalogueExplainer(), ZoneId.of("UTC"));

    private Envelope envelope(String ret) {
        return new Envelope("MX0NOTICETEST1", T0, "alice@posthorn.test",
                List.of(new EnvelopeRecipient("bob@remote.test", Set.of(), null, false)), "7BIT", false, ret, null,
                null, "127.0.0.1", "client.test", 100);
    }

    private static List<DsnBuilder.RecipientReport> failed() {
        return List.of(new DsnBuilder.RecipientReport("bob@remote.test", null, "mx.remote.test",
                new RemoteReply(550, "5.1.1", List.of("5.1.1 no such user")), T0, null));
    }

    private Notices.Original original() throws IOException {
        Path file = dir.resolve("original.msg");
        Files.writeString(file, "Subject: hello\r\n\r\n" + BODY_MARK + "\r\n", StandardCharsets.US_ASCII);
        return () -> file;
    }

    @Test
    void aNoticeTooLargeWithTheWholeMessageGoesWithItsHeadersOnly() throws Exception {
        List<String> queued = new ArrayList<>();
        Notices notices = new Notices(builder, "mx.test", (rcpt, message, eightBit) -> {
            String text = new String(message, StandardCharsets.ISO_8859_1);
            if (text.contains(BODY_MARK)) {
                throw new IOException("message too large for the journal");
            }
            queued.add(text);
        });
        boolean done = notices.send(DsnBuilder.Kind.FAILED, envelope("FULL"), failed(), original(), T0);
        assertThat(done).isTrue();
        assertThat(queued).hasSize(1);
        assertThat(queued.get(0)).contains("text/rfc822-headers").contains("Subject: hello")
                .doesNotContain(BODY_MARK);
    }

    @Test
    void aNoticeThatNeverQueuesIsGivenUpAfterBoundedTriesAndTime() throws Exception {
        int[] tries = {0};
        Notices notices = new Notices(builder, "mx.test", (rcpt, message, eightBit) -> {
            tries[0]++;
            throw new IOException("injected: the journal is broken");
        });
        Envelope e = envelope("HDRS");
        Notices.Original original = original();
        for (int i = 0; i < Notices.MAX_FAILURES + 5; i++) {
            // many tries, but within the first hour: a journal outage of minutes drops no notice
            assertThat(notices.send(DsnBuilder.Kind.FAILED, e, failed(), original, T0.plusSeconds(i)))
                    .as("try %d within the hour", i + 1).isFalse();
        }
        assertThat(notices.send(DsnBuilder.Kind.FAILED, e, failed(), original,
                T0.plus(Notices.MAX_TRYING))).as("a try after the bounded time").isTrue();
        assertThat(tries[0]).isEqualTo(Notices.MAX_FAILURES + 6);
        // Given up means forgotten: a new failure starts counting again.
        assertThat(notices.send(DsnBuilder.Kind.FAILED, e, failed(), original,
                T0.plus(Notices.MAX_TRYING).plusSeconds(1))).isFalse();
    }

    @Test
    void aNoticeWaitingForAnUnreachableDatabaseIsNeverGivenUp() throws Exception {
        Notices notices = new Notices(builder, "mx.test", (rcpt, message, eightBit) -> {
            // what PgQueueStore.accept throws while PostgreSQL is gone: the store's failure, its SQL cause inside
            throw new dev.posthorn.store.StoreException("PostgreSQL at jdbc:postgresql://db/posthorn: gone",
                    new java.sql.SQLTransientConnectionException("Connection is not available"));
        });
        Envelope e = envelope("HDRS");
        Notices.Original original = original();
        for (int i = 0; i < Notices.MAX_FAILURES + 5; i++) {
            notices.send(DsnBuilder.Kind.FAILED, e, failed(), original, T0.plusSeconds(i));
        }
        // Hours later the database is still gone: the notice still waits, it is not dropped.
        assertThat(notices.send(DsnBuilder.Kind.FAILED, e, failed(), original, T0.plus(Notices.MAX_TRYING).plusSeconds(7200)))
                .as("a notice held up only by the shared store's outage").isFalse();
    }

    /** The same outage as the acceptance reports it (PgQueueStore.accept): by type, whatever its cause says. */
    @Test
    void aNoticeWhoseAcceptanceFindsTheStoreUnavailableIsNeverGivenUp() throws Exception {
        Notices notices = new Notices(builder, "mx.test", (rcpt, message, eightBit) -> {
            throw new StoreUnavailableException("PostgreSQL at jdbc:postgresql://db/posthorn: gone", null);
        });
        Envelope e = envelope("HDRS");
        Notices.Original original = original();
        for (int i = 0; i < Notices.MAX_FAILURES + 5; i++) {
            assertThat(notices.send(DsnBuilder.Kind.FAILED, e, failed(), original, T0.plusSeconds(i))).isFalse();
        }
        assertThat(notices.send(DsnBuilder.Kind.FAILED, e, failed(), original, T0.plus(Notices.MAX_TRYING).plusSeconds(7200)))
                .as("a notice held up only by the shared store's outage").isFalse();
    }
}
