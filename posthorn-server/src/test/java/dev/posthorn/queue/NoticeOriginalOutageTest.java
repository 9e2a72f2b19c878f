package dev.posthorn.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.delivery.CatalogueExplainer;
import dev.posthorn.delivery.dsn.DsnBuilder;
import dev.posthorn.delivery.remote.RemoteReply;
import dev.posthorn.spool.Envelope;
import dev.posthorn.spool.EnvelopeRecipient;
import dev.posthorn.store.StoreException;
import java.io.IOException;
import java.sql.SQLTransientConnectionException;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The original of a notice may live in PostgreSQL (Scheduler: original = store.content(id).file(), which reads it from
 * queue_content). An outage met while reading it, however it is wrapped, must not count toward giving the notice up,
 * exactly like an outage met by the acceptance. Found by review: a plain IOException with the SQLException inside
 * counted, and a bounce was given up after an hour's outage.
 */
class NoticeOriginalOutageTest {

    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");

    @Test
    void aNoticeWhoseOriginalCannotBeReadDuringAnOutageIsNeverGivenUp() {
        Notices notices = new Notices(new DsnBuilder(new CatalogueExplainer(), ZoneId.of("UTC")), "mx.test",
                (rcpt, message, eightBit) -> {
                    throw new AssertionError("not reached");
                });
        Envelope e = new Envelope("MX0NOTICETEST2", T0, "alice@posthorn.test",
                List.of(new EnvelopeRecipient("bob@remote.test", Set.of(), null, false)), "7BIT", false, "FULL", null,
                null, "127.0.0.1", "client.test", 100);
        List<DsnBuilder.RecipientReport> failed = List.of(new DsnBuilder.RecipientReport("bob@remote.test", null,
                "mx.remote.test", new RemoteReply(550, "5.1.1", List.of("5.1.1 no such user")), T0, null));
        // A plain IOException with the database's answer inside, as a store read that unwraps its exception throws.
        Notices.Original original = () -> {
            IOException thrown = new StoreException("PostgreSQL at jdbc:postgresql://db/posthorn: gone",
                    new SQLTransientConnectionException("Connection is not available")).getCause();
            throw thrown;
        };
        for (int i = 0; i < Notices.MAX_FAILURES + 5; i++) {
            assertThat(notices.send(DsnBuilder.Kind.FAILED, e, failed, original, T0.plusSeconds(i))).isFalse();
        }
        assertThat(notices.send(DsnBuilder.Kind.FAILED, e, failed, original,
                T0.plus(Notices.MAX_TRYING).plusSeconds(7200)))
                .as("a notice held up only by the shared store's outage (its original unreadable)").isFalse();
    }
}
