package dev.posthorn.delivery.target;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.posthorn.delivery.LocalDelivery;
import dev.posthorn.delivery.remote.Outcome;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Batched Maildir durability (issue 15): the messages of a batch are written to {@code tmp/} and nothing reaches
 * {@code new/} (where a reader sees mail) before {@link MaildirTarget#flush}, which syncs them together and then
 * renames them; a flush that cannot finish throws (the scheduler then defers the batch) and leaves no half batch
 * in {@code tmp/}.
 */
class MaildirBatchTest {

    @TempDir
    Path mail;

    private static MessageContent content(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        return new MessageContent() {
            @Override
            public InputStream open() {
                return new ByteArrayInputStream(bytes);
            }

            @Override
            public Path file() {
                throw new UnsupportedOperationException();
            }

            @Override
            public long size() {
                return bytes.length;
            }
        };
    }

    /** Runs one transaction per recipient (messages MXB0, MXB1, ...) without flushing; their outcomes. */
    private static List<Outcome> commitBatch(MaildirTarget target, String... recipients) {
        List<Outcome> outcomes = new ArrayList<>();
        for (int i = 0; i < recipients.length; i++) {
            Delivery d = target.start(new TargetMessage("MXB" + i, Instant.parse("2026-12-02T05:00:00Z"),
                    "alice@posthorn.test", false, false, null, null, false));
            d.addRecipient(new TargetRecipient(recipients[i], 0, Set.of(), null));
            d.body(content("Subject: batch " + i + "\r\n\r\nbody " + i + "\r\n"));
            outcomes.addAll(d.commit());
        }
        return outcomes;
    }

    private static long count(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(directory)) {
            return files.count();
        }
    }

    @Test
    void aBatchReachesNewOnlyAtItsFlush() throws Exception {
        MaildirTarget target = new MaildirTarget(new LocalDelivery(mail, "mx.posthorn.test", a -> a), 64);
        List<Outcome> outcomes = commitBatch(target, "bob@posthorn.test", "bob@posthorn.test", "carol@posthorn.test");
        Path bob = mail.resolve("posthorn.test/bob");
        Path carol = mail.resolve("posthorn.test/carol");
        assertThat(count(bob.resolve("new")) + count(carol.resolve("new"))).as("in new/ before the flush").isZero();
        assertThat(count(bob.resolve("tmp")) + count(carol.resolve("tmp"))).as("written to tmp/").isEqualTo(3);

        target.flush();

        assertThat(count(bob.resolve("new"))).isEqualTo(2);
        assertThat(count(carol.resolve("new"))).isEqualTo(1);
        assertThat(count(bob.resolve("tmp")) + count(carol.resolve("tmp"))).isZero();
        assertThat(outcomes).extracting(o -> o.kind() + " " + o.reply().code()).containsOnly("DELIVERED 250");
        try (Stream<Path> files = Files.list(carol.resolve("new"))) {
            assertThat(Files.readString(files.findFirst().orElseThrow()))
                    .startsWith("Return-Path: <alice@posthorn.test>\r\nDelivered-To: carol@posthorn.test\r\n")
                    .endsWith("body 2\r\n");
        }
    }

    @Test
    void aFlushThatCannotFinishThrowsAndLeavesNothingHalfDone() throws Exception {
        MaildirTarget target = new MaildirTarget(new LocalDelivery(mail, "mx.posthorn.test", a -> a), 64);
        commitBatch(target, "bob@posthorn.test", "bob@posthorn.test");
        Path bob = mail.resolve("posthorn.test/bob");
        // new/ cannot take the files any more (an operator's mistake, a broken mailbox).
        Files.delete(bob.resolve("new"));
        Files.writeString(bob.resolve("new"), "not a directory");

        assertThatThrownBy(target::flush).isInstanceOf(IOException.class);
        assertThat(count(bob.resolve("tmp"))).as("tmp/ after the failed flush").isZero();

        // The next batch of the same worker starts clean: the failed one is not flushed again.
        Files.delete(bob.resolve("new"));
        Files.createDirectory(bob.resolve("new"));
        target.flush();
        assertThat(count(bob.resolve("new"))).isZero();
    }
}
