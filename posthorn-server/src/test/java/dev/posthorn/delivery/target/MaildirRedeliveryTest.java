package dev.posthorn.delivery.target;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.delivery.LocalDelivery;
import dev.posthorn.delivery.remote.Outcome;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A delivery repeated after a crash finds its earlier copy by the queued recipient's part of the Maildir name
 * ({@code .Q<id>R<index>.}) alone: a server whose hostname changed in between (a new machine, a fixed config)
 * must not put a second copy in the mailbox (finding 12a of the review of issue 9).
 */
class MaildirRedeliveryTest {

    @TempDir
    Path mail;

    private static final byte[] BODY = "Subject: once\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII);

    private static List<Outcome> deliver(LocalDelivery mailboxes, TargetMessage message, int index) throws Exception {
        MaildirTarget target = new MaildirTarget(mailboxes);
        Delivery d = target.start(message);
        d.addRecipient(new TargetRecipient("bob@posthorn.test", index, Set.of(), null));
        d.body(new BytesContent(BODY));
        List<Outcome> outcomes = d.commit();
        target.flush(); // the outcomes hold once the batch is durable
        return outcomes;
    }

    private long copies() throws Exception {
        Path box = mail.resolve("posthorn.test/bob");
        long n = 0;
        for (String dir : List.of("new", "cur")) {
            if (Files.isDirectory(box.resolve(dir))) {
                try (Stream<Path> files = Files.list(box.resolve(dir))) {
                    n += files.count();
                }
            }
        }
        return n;
    }

    @Test
    void aRepeatedDeliveryAfterAHostnameChangeLandsOnce() throws Exception {
        Instant received = Instant.parse("2026-12-01T10:00:00Z");
        TargetMessage first = new TargetMessage("MXQID1", received, "alice@posthorn.test", false, false, null, null,
                false);
        assertThat(deliver(new LocalDelivery(mail, "old.posthorn.test", a -> a), first, 0))
                .allMatch(o -> o.kind() == Outcome.Kind.DELIVERED);
        // A reader moved it to cur/ and flagged it seen, as IMAP servers do.
        Path box = mail.resolve("posthorn.test/bob");
        Files.createDirectories(box.resolve("cur"));
        try (Stream<Path> files = Files.list(box.resolve("new"))) {
            Path f = files.findFirst().orElseThrow();
            Files.move(f, box.resolve("cur").resolve(f.getFileName() + ":2,S"));
        }
        TargetMessage again = new TargetMessage("MXQID1", received, "alice@posthorn.test", false, false, null, null,
                true);
        List<Outcome> repeated = deliver(new LocalDelivery(mail, "new.posthorn.test", a -> a), again, 0);
        assertThat(repeated).allMatch(o -> o.kind() == Outcome.Kind.DELIVERED);
        assertThat(copies()).as("copies in bob's mailbox").isEqualTo(1);
        // Another recipient index of the same message is a different delivery (R1 is not R10's prefix either).
        deliver(new LocalDelivery(mail, "new.posthorn.test", a -> a), again, 10);
        deliver(new LocalDelivery(mail, "new.posthorn.test", a -> a), again, 1);
        assertThat(copies()).as("copies after recipients 10 and 1").isEqualTo(3);
    }
}
