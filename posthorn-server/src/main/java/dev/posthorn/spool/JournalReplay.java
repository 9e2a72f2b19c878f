package dev.posthorn.spool;

import dev.posthorn.store.GroupSync;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opening the spool after a stop or a crash: every journal segment left is read back, one record at a time,
 * into the queue files ({@code .msg}, {@code .env}, {@code .state}, written and synced), tombstones delete
 * them, and the segments are dropped. Memory holds one record and the tombstones of one segment, never a
 * whole segment or the whole journal.
 *
 * <p>A segment that ends in a torn record (a crash during a write: never acknowledged) is replayed up to it
 * and dropped. A segment with a damaged record is replayed (every intact record, before and after the damage)
 * and then moved aside, never deleted, to
 * {@code journal/corrupt/} with a {@code .txt} saying where and why; the log says so loudly and
 * {@code posthorn queue list} lists it.
 */
final class JournalReplay {

    private static final Logger LOG = LoggerFactory.getLogger(JournalReplay.class);
    static final String CORRUPT_DIRECTORY = "corrupt";

    private final Path queueDirectory;
    private final Path journalDirectory;
    private int restored;
    private int removed;
    private int states;

    JournalReplay(Path queueDirectory, Path journalDirectory) {
        this.queueDirectory = queueDirectory;
        this.journalDirectory = journalDirectory;
    }

    /** Replays and drops every segment; returns the number for the next segment. */
    long run() throws IOException {
        List<Path> segments = Journal.segments(journalDirectory);
        long last = highestNumber(segments);
        if (segments.isEmpty()) {
            return last + 1;
        }
        List<Path> done = new ArrayList<>();
        List<Path> damaged = new ArrayList<>();
        List<JournalReader.Corrupt> damage = new ArrayList<>();
        for (Path segment : segments) {
            JournalReader.Step end = replaySegment(segment);
            switch (end) {
                case JournalReader.Corrupt corrupt -> {
                    damaged.add(segment);
                    damage.add(corrupt);
                }
                case JournalReader.Torn torn -> {
                    LOG.warn("spool recovery: {} ends in a record torn by a crash at offset {} ({}); it was never "
                            + "acknowledged", segment.getFileName(), torn.offset(), torn.reason());
                    done.add(segment);
                }
                default -> done.add(segment);
            }
        }
        // The files written and the unlinks done must be durable before the segments that describe them go, or
        // move aside (a segment in corrupt/ is not replayed again: after a power cut its files would be missing).
        GroupSync.fsyncDirectory(queueDirectory);
        for (int i = 0; i < damaged.size(); i++) {
            moveAside(damaged.get(i), damage.get(i));
        }
        for (Path segment : done) {
            Files.delete(segment);
        }
        GroupSync.fsyncDirectory(journalDirectory);
        if (restored + removed + states > 0) {
            LOG.info("spool recovery: {} message(s) restored from the journal, {} state(s), {} removal(s) applied",
                    restored, states, removed);
        }
        return last + 1;
    }

    /**
     * Two passes over the segment: its tombstones first, so a message removed in it is never written out. A
     * damaged record is skipped when an intact one follows (acknowledged records after it are not lost); the
     * first damage found is returned so the segment is kept.
     */
    private JournalReader.Step replaySegment(Path segment) throws IOException {
        Set<String> removedHere = new HashSet<>();
        read(segment, record -> {
            if (record.type() == Journal.REMOVED) {
                removedHere.add(record.id());
            }
        });
        return read(segment, record -> apply(record, removedHere.contains(record.id())));
    }

    private interface RecordAction {
        void accept(JournalReader.Record record) throws IOException;
    }

    private static JournalReader.Step read(Path segment, RecordAction action) throws IOException {
        JournalReader.Step damage = null;
        try (FileChannel channel = FileChannel.open(segment, StandardOpenOption.READ)) {
            JournalReader reader = new JournalReader(channel);
            while (true) {
                JournalReader.Step step = reader.next();
                switch (step) {
                    case JournalReader.Record record -> action.accept(record);
                    case JournalReader.Corrupt corrupt -> {
                        if (damage == null) {
                            damage = corrupt;
                        } else {
                            // The first damage is the one reported; the later ones are named too, so that the log
                            // says what was and was not recovered.
                            JournalReader.Corrupt first = (JournalReader.Corrupt) damage;
                            damage = new JournalReader.Corrupt(first.offset(), first.reason() + "; then at offset "
                                    + corrupt.offset() + ": " + corrupt.reason(), -1,
                                    first.restUnread() || corrupt.restUnread());
                        }
                        if (corrupt.resumeAt() < 0) {
                            return damage;
                        }
                        channel.position(corrupt.resumeAt());
                    }
                    default -> {
                        return damage != null ? damage : step;
                    }
                }
            }
        }
    }

    private void apply(JournalReader.Record record, boolean removedLater) throws IOException {
        String id = record.id();
        switch (record.type()) {
            case Journal.MESSAGE -> {
                if (!removedLater) {
                    Spool.writeFile(queueDirectory.resolve(id + ".msg"), record.payload(), true);
                    replaceSynced(queueDirectory.resolve(id + ".env"), record.envelope());
                    restored++;
                }
            }
            case Journal.STATE -> {
                if (!removedLater) {
                    replaceSynced(queueDirectory.resolve(id + ".state"), record.payload());
                    states++;
                }
            }
            default -> {
                Files.deleteIfExists(queueDirectory.resolve(id + ".env"));
                Files.deleteIfExists(queueDirectory.resolve(id + ".msg"));
                Files.deleteIfExists(queueDirectory.resolve(id + ".state"));
                removed++;
            }
        }
    }

    private void replaceSynced(Path file, byte[] bytes) throws IOException {
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        Spool.writeFile(temporary, bytes, true);
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private void moveAside(Path segment, JournalReader.Corrupt corrupt) throws IOException {
        Path aside = Files.createDirectories(journalDirectory.resolve(CORRUPT_DIRECTORY));
        Path target = aside.resolve(segment.getFileName());
        Files.move(segment, target, StandardCopyOption.ATOMIC_MOVE);
        String recovered = recovered(corrupt);
        String reason = "damaged at offset " + corrupt.offset() + ": " + corrupt.reason() + ". " + recovered
                + " Moved here " + Instant.now() + ".\n";
        Files.writeString(target.resolveSibling(target.getFileName() + ".txt"), reason, StandardCharsets.UTF_8);
        GroupSync.fsyncDirectory(aside);
        LOG.error("SPOOL JOURNAL SEGMENT CORRUPT: {} is damaged at offset {} ({}); moved to {} and kept. {} "
                + "Inspect the file (posthorn queue list shows it).", segment.getFileName(), corrupt.offset(),
                corrupt.reason(), target, recovered);
    }

    /** What the replay of a damaged segment got back: only what is true (a search that gave up read nothing after). */
    private static String recovered(JournalReader.Corrupt corrupt) {
        if (corrupt.restUnread()) {
            return "NOT every record was recovered: records after the damage were not read and acknowledged messages, "
                    + "states or removals in them may be missing.";
        }
        if (corrupt.offset() == 0 && corrupt.resumeAt() == Journal.SEGMENT_HEADER) {
            return "Every record was recovered (the damage was in the segment header only).";
        }
        return "Every intact record was recovered; the damaged one was not: a message, a state or a removal may be "
                + "missing.";
    }

    private long highestNumber(List<Path> segments) throws IOException {
        long last = 0;
        for (Path segment : segments) {
            last = Math.max(last, Journal.number(segment));
        }
        for (CorruptSegment c : corruptSegments(journalDirectory)) {
            last = Math.max(last, Journal.number(c.file()));
        }
        return last;
    }

    /** The segments set aside in {@code journal/corrupt/}, with the reason recorded beside each. */
    static List<CorruptSegment> corruptSegments(Path journalDirectory) throws IOException {
        Path aside = journalDirectory.resolve(CORRUPT_DIRECTORY);
        List<CorruptSegment> found = new ArrayList<>();
        if (!Files.isDirectory(aside)) {
            return found;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(aside, "*.jnl")) {
            for (Path file : files) {
                Path note = file.resolveSibling(file.getFileName() + ".txt");
                String reason = Files.exists(note) ? Files.readString(note, StandardCharsets.UTF_8).strip() : "";
                found.add(new CorruptSegment(file, reason));
            }
        }
        found.sort((a, b) -> a.file().compareTo(b.file()));
        return found;
    }
}
