package dev.posthorn.delivery.target;

import static org.assertj.core.api.Assertions.assertThat;

import dev.posthorn.delivery.LocalDelivery;
import dev.posthorn.delivery.remote.Outcome;
import java.io.IOException;
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
 * renames them; a copy the flush cannot make durable is deferred alone (its mailbox's trouble is not the batch's)
 * and leaves nothing in {@code tmp/} or {@code new/}.
 */
class MaildirBatchTest {

    @TempDir
    Path mail;

    private static MessageContent content(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        return new BytesContent(bytes);
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

    /** One transaction per recipient (messages MXB0, MXB1, ...), committed, not flushed: its settle step. */
    private static List<java.util.function.Supplier<Outcome>> commitEach(MaildirTarget target, String... recipients) {
        List<java.util.function.Supplier<Outcome>> settled = new ArrayList<>();
        for (int i = 0; i < recipients.length; i++) {
            Delivery d = target.start(new TargetMessage("MXB" + i, Instant.parse("2026-12-02T05:00:00Z"),
                    "alice@posthorn.test", false, false, null, null, false));
            d.addRecipient(new TargetRecipient(recipients[i], 0, Set.of(), null));
            d.body(content("Subject: batch " + i + "\r\n\r\nbody " + i + "\r\n"));
            List<Outcome> promised = d.commit();
            settled.add(() -> d.settled(promised).get(0));
        }
        return settled;
    }

    private static String kind(java.util.function.Supplier<Outcome> settled) {
        Outcome o = settled.get();
        return o.kind() + " " + o.reply().code();
    }

    @Test
    void oneBrokenMailboxDefersOnlyItsOwnCopyNotTheBatch() throws Exception {
        MaildirTarget target = new MaildirTarget(new LocalDelivery(mail, "mx.posthorn.test", a -> a), 64);
        List<java.util.function.Supplier<Outcome>> settled =
                commitEach(target, "alice@posthorn.test", "bob@posthorn.test", "carol@posthorn.test");
        Path alice = mail.resolve("posthorn.test/alice");
        Path bob = mail.resolve("posthorn.test/bob");
        Path carol = mail.resolve("posthorn.test/carol");
        // bob's new/ cannot take the file any more (an operator's mistake, a broken mailbox).
        Files.delete(bob.resolve("new"));
        Files.writeString(bob.resolve("new"), "not a directory");

        target.flush();

        assertThat(count(alice.resolve("new"))).as("alice's new/").isEqualTo(1);
        assertThat(count(carol.resolve("new"))).as("carol's new/ (after bob in the batch)").isEqualTo(1);
        assertThat(kind(settled.get(0))).as("alice").isEqualTo("DELIVERED 250");
        assertThat(kind(settled.get(1))).as("bob").startsWith("DEFERRED 4");
        assertThat(kind(settled.get(2))).as("carol").isEqualTo("DELIVERED 250");
        // The deferred copy is nowhere a reader or the retry could take it for delivered.
        assertThat(count(bob.resolve("tmp"))).as("bob's tmp/").isZero();
        assertThat(Files.readString(bob.resolve("new"))).isEqualTo("not a directory");
        assertThat(count(alice.resolve("tmp")) + count(carol.resolve("tmp"))).isZero();
    }

    @Test
    void aSyncfsThatIsRefusedFallsBackToAnFsyncPerFileAndDeliversTheBatch() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.posthorn.store.SyncFs.usable(), "syncfs in use here");
        System.setProperty(dev.posthorn.store.SyncFs.SIMULATE_ERRNO, "22"); // EINVAL, as a file system may say
        try {
            MaildirTarget target = new MaildirTarget(new LocalDelivery(mail, "mx.posthorn.test", a -> a), 64);
            List<java.util.function.Supplier<Outcome>> first = commitEach(target, "bob@posthorn.test", "carol@posthorn.test");
            target.flush();
            assertThat(first).extracting(MaildirBatchTest::kind).containsOnly("DELIVERED 250");
            assertThat(dev.posthorn.store.SyncFs.usable()).as("syncfs switched off for the process").isFalse();
            assertThat(count(mail.resolve("posthorn.test/bob/new"))).isEqualTo(1);
            assertThat(count(mail.resolve("posthorn.test/carol/new"))).isEqualTo(1);

            // The next batch does not try syncfs again: each file is fsynced when written.
            List<java.util.function.Supplier<Outcome>> second = commitEach(target, "dave@posthorn.test");
            target.flush();
            assertThat(kind(second.get(0))).isEqualTo("DELIVERED 250");
            assertThat(count(mail.resolve("posthorn.test/dave/new"))).isEqualTo(1);
        } finally {
            System.clearProperty(dev.posthorn.store.SyncFs.SIMULATE_ERRNO);
            dev.posthorn.store.SyncFs.forgetSwitchOff();
        }
    }

    @Test
    void aFlushThatCannotRenameLeavesNothingHalfDone() throws Exception {
        MaildirTarget target = new MaildirTarget(new LocalDelivery(mail, "mx.posthorn.test", a -> a), 64);
        List<java.util.function.Supplier<Outcome>> settled = commitEach(target, "bob@posthorn.test", "bob@posthorn.test");
        Path bob = mail.resolve("posthorn.test/bob");
        Files.delete(bob.resolve("new"));
        Files.writeString(bob.resolve("new"), "not a directory");

        target.flush();
        assertThat(settled).extracting(MaildirBatchTest::kind).allMatch(k -> k.startsWith("DEFERRED 4"));
        assertThat(count(bob.resolve("tmp"))).as("tmp/ after the failed flush").isZero();

        // The next batch of the same worker starts clean: the failed one is not flushed again.
        Files.delete(bob.resolve("new"));
        Files.createDirectory(bob.resolve("new"));
        target.flush();
        assertThat(count(bob.resolve("new"))).isZero();
    }
}
