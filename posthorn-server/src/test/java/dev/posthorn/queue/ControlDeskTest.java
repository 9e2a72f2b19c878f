package dev.posthorn.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.posthorn.spool.Envelope;
import dev.posthorn.spool.Spool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The running server's side of {@code posthorn queue retry|delete|hold|release} (finding 12c of the review of
 * issue 9): a request whose command gave up is never carried out later, a command that times out withdraws its
 * request and says so, answers nobody came for are cleaned up, and {@code retry} does not count held messages.
 */
@Timeout(60)
class ControlDeskTest {

    private static final QueueSelector ALL = new QueueSelector(List.of(), true, null, null, null, null);

    @TempDir
    Path dir;

    private Spool spool;
    private FileQueueStore store;
    private String id;

    @BeforeEach
    void queueOneMessage() throws Exception {
        spool = new Spool(dir.resolve("queue"));
        store = new FileQueueStore(spool, Clock.systemUTC());
        Envelope e = SpooledMessages.commit(spool, "waiting");
        store.add(e);
        id = e.id();
    }

    @AfterEach
    void close() {
        store.close();
    }

    private Path control() throws IOException {
        return Files.createDirectories(QueueControl.controlDir(dir.resolve("queue")));
    }

    private static void age(Path file, Duration by) throws IOException {
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().minus(by)));
    }

    @Test
    void aRequestLeftByACommandThatGaveUpIsDroppedNotApplied() throws Exception {
        Path stale = control().resolve("left-behind.request");
        Files.write(stale, StateFile.JSON.writeValueAsBytes(
                new QueueActions.Request(QueueActions.Verb.DELETE, ALL, false)));
        age(stale, Duration.ofMinutes(5));
        Path unclaimed = control().resolve("nobody-came.result");
        Files.writeString(unclaimed, "{}");
        age(unclaimed, Duration.ofMinutes(5));
        try (ControlDesk desk = new ControlDesk(dir.resolve("queue"), store, Set.of(), Clock.systemUTC())) {
            desk.start();
            // A fresh request is carried out: the desk is working, and it has seen the stale one by now.
            QueueActions.Result held = QueueControl.request(dir.resolve("queue"),
                    new QueueActions.Request(QueueActions.Verb.HOLD, ALL, false), QueueControl.WAIT);
            assertThat(held.ids()).containsExactly(id);
            assertThat(store.get(id)).as("the message the stale \"delete --all\" named").isNotNull();
            assertThat(stale).doesNotExist();
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (Files.exists(unclaimed) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(unclaimed).as("an answer nobody came for").doesNotExist();
            try (var left = Files.list(control())) {
                assertThat(left.map(p -> p.getFileName().toString()))
                        .noneMatch(n -> n.endsWith(".request") || n.endsWith(".result") || n.endsWith(".taken"));
            }
        }
    }

    @Test
    void aCommandThatTimesOutWithdrawsItsRequest() throws Exception {
        // No server answers: the command gives up, says so, and leaves nothing for a later start to apply.
        assertThatThrownBy(() -> QueueControl.request(dir.resolve("queue"),
                new QueueActions.Request(QueueActions.Verb.DELETE, ALL, false), Duration.ofMillis(300)))
                .isInstanceOf(IOException.class).hasMessageContaining("withdrawn, nothing was changed");
        try (var left = Files.list(control())) {
            assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".request"));
        }
        try (ControlDesk desk = new ControlDesk(dir.resolve("queue"), store, Set.of(), Clock.systemUTC())) {
            desk.start();
            Thread.sleep(600); // two rounds of the desk
            assertThat(store.get(id)).as("the message after the server started").isNotNull();
        }
    }

    @Test
    void retryDoesNotCountHeldMessages() {
        QueueActions.apply(store, new QueueActions.Request(QueueActions.Verb.HOLD, ALL, false), Clock.systemUTC());
        QueueActions.Result retried = QueueActions.apply(store,
                new QueueActions.Request(QueueActions.Verb.RETRY, ALL, false), Clock.systemUTC());
        assertThat(retried.ids()).as("messages said to be retried while held").isEmpty();
    }

    @Test
    void aQueryIsAnsweredFromTheLiveQueueWithWhatIsInFlight() throws Exception {
        Set<String> attempting = Set.of(id + " carol@remote.test");
        try (ControlDesk desk = new ControlDesk(dir.resolve("queue"), store, attempting, Clock.systemUTC())) {
            desk.start();
            QueueView all = QueueControl.query(dir.resolve("queue"), new QueueView.Query(null), QueueControl.WAIT);
            assertThat(all.total()).isEqualTo(1);
            assertThat(all.messages()).singleElement().satisfies(e -> {
                assertThat(e.envelope().id()).isEqualTo(id);
                assertThat(e.state().recipients).singleElement()
                        .satisfies(r -> assertThat(r.status).isEqualTo(RecipientStatus.QUEUED));
                assertThat(e.inFlight()).containsExactly((id + " carol@remote.test").toLowerCase(java.util.Locale.ROOT));
            });
            QueueView one = QueueControl.query(dir.resolve("queue"), new QueueView.Query(id), QueueControl.WAIT);
            assertThat(one.messages()).singleElement().satisfies(e -> assertThat(e.envelope().sender())
                    .isEqualTo("alice@posthorn.test"));
            assertThat(QueueControl.query(dir.resolve("queue"), new QueueView.Query("NOSUCHID"), QueueControl.WAIT)
                    .messages()).isEmpty();
        }
    }

    @Test
    void aRequestLargerThanTheBoundIsRefusedUnread() throws Exception {
        // A valid "hold --all", padded past the bound: no command writes one, so the desk does not parse it.
        byte[] json = StateFile.JSON.writeValueAsBytes(new QueueActions.Request(QueueActions.Verb.HOLD, ALL, false));
        byte[] padded = new byte[(int) QueueControl.MAX_REQUEST_BYTES + 1];
        java.util.Arrays.fill(padded, (byte) ' ');
        System.arraycopy(json, 0, padded, 0, json.length);
        Files.write(control().resolve("big.request"), padded);
        Path error = control().resolve("big.error");
        try (ControlDesk desk = new ControlDesk(dir.resolve("queue"), store, Set.of(), Clock.systemUTC())) {
            desk.start();
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (!Files.exists(error) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(Files.readString(error)).contains("larger than 65536 bytes: refused unread");
            assertThat(store.get(id).snapshot().held).as("held by the refused request").isFalse();
        }
    }
}
