package dev.posthorn.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/** What the journal's tests write and look at: a small local message, and the one segment it went to. */
final class JournalTestMessages {

    private JournalTestMessages() {
    }

    /** Commits {@code body} from a@example.org to postmaster@localhost; its id. */
    static String commit(Spool spool, String body) throws IOException {
        return commit(spool.begin(), body);
    }

    static String commit(SpoolWriter writer, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.US_ASCII);
        try (OutputStream out = writer.content()) {
            out.write(bytes);
        }
        writer.commit(new Envelope(writer.id(), Instant.parse("2026-01-01T00:00:00Z"), "a@example.org",
                List.of(new EnvelopeRecipient("postmaster@localhost", Set.of(), null, true)), "7BIT", false, null,
                null, null, "127.0.0.1", "client.test", bytes.length));
        return writer.id();
    }

    /** The journal's only segment (asserted to be the only one). */
    static Path onlySegment(Path queue) throws IOException {
        try (Stream<Path> files = Files.list(queue.resolve("journal"))) {
            List<Path> segments = files.filter(p -> p.toString().endsWith(".jnl")).toList();
            assertThat(segments).hasSize(1);
            return segments.get(0);
        }
    }
}
