package dev.posthorn.spool;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * One message being written into the spool. {@link #commit} makes it durable before it returns; only then may
 * the caller answer {@code 250}. A small message (kept in memory) is appended to the journal and synced in a
 * group with the other sessions committing at the same time; then either the spool holds it in memory for
 * immediate local delivery (its files are written only if it has to wait), or its {@code .msg} and
 * {@code .env} files are written at once. A large one (already streamed to its {@code .msg}) is synced file by file: the message file, the
 * envelope written to a temporary file, synced and renamed into place, and the directory (grouped).
 */
public final class SpoolWriter implements AutoCloseable {

    private final Spool spool;
    private final String id;
    private final ContentBuffer content;
    private boolean finished;

    SpoolWriter(Spool spool, String id, long inlineLimit) throws IOException {
        this.spool = spool;
        this.id = id;
        this.content = new ContentBuffer(spool.messageFile(id), inlineLimit);
        if (inlineLimit <= 0) {
            content.spillNow();
        }
    }

    public String id() {
        return id;
    }

    /** Where the message bytes go. */
    public OutputStream content() {
        return content;
    }

    /**
     * Puts header fields on top of the message once its content has ended and before {@link #commit}: what is
     * decided only at the end of DATA (DKIM signatures, ARC sets, Authentication-Results), so that the stored
     * message, and every delivery attempt, carries exactly those bytes.
     */
    public void prepend(byte[] headerFields) throws IOException {
        content.prepend(headerFields);
    }

    public void commit(Envelope envelope) throws IOException {
        byte[] encoded = EnvelopeCodec.encode(envelope);
        if (spool.acceptance() != null) {
            commitShared(envelope, encoded);
            return;
        }
        if (content.spilled()) {
            commitFiles(encoded);
        } else {
            // Held in memory for immediate local delivery: no queue files at all unless it must wait. Mail for
            // other hosts gets its files at once, for the outbound queue.
            boolean hold = envelope.recipients().stream().allMatch(EnvelopeRecipient::local)
                    && spool.mayHold(content.size());
            commitJournal(encoded, hold);
        }
        finished = true;
    }

    /** Into the shared store: committed there before this returns; the local copy (memory or file) goes. */
    private void commitShared(Envelope envelope, byte[] encoded) throws IOException {
        try {
            if (content.spilled()) {
                content.closeSpill();
                try (java.io.InputStream in = Files.newInputStream(spool.messageFile(id))) {
                    spool.acceptance().accept(envelope, encoded, in, content.size());
                }
            } else {
                spool.acceptance().accept(envelope, encoded, content.openStream(), content.size());
            }
            finished = true;
        } finally {
            if (content.spilled()) {
                Files.deleteIfExists(spool.messageFile(id));
            }
        }
    }

    private void commitJournal(byte[] encoded, boolean hold) throws IOException {
        Journal journal = spool.journal();
        Journal.Segment segment = journal.appendMessage(id, encoded, content.inlineBuffers(), content.size());
        if (hold) {
            spool.hold(id, encoded, content, segment);
            journal.materialized(segment);
            return;
        }
        try {
            // Durable now. The files are for the queue's readers; a checkpoint syncs them later.
            Spool.writeFile(spool.messageFile(id), content.inlineBuffers(), false);
            Path temporary = spool.directory().resolve(id + ".env.tmp");
            Spool.writeFile(temporary, encoded, false);
            Files.move(temporary, spool.envelopeFile(id), StandardCopyOption.ATOMIC_MOVE);
            spool.filesWritten(id);
        } catch (IOException e) {
            // No 250 will be sent: take it back (a tombstone, then the files), so a replay does not deliver it;
            // the 451 waits for that, within the journal's deadline.
            try {
                journal.await(spool.remove(id));
            } catch (IOException again) {
                e.addSuppressed(again);
            }
            throw e;
        } finally {
            journal.materialized(segment);
        }
    }

    private void commitFiles(byte[] encoded) throws IOException {
        // fdatasync: the data and the size needed to read it back; the name is covered by the directory sync.
        content.syncSpill();
        Path temporary = spool.directory().resolve(id + ".env.tmp");
        try (FileChannel env = FileChannel.open(temporary, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            env.write(ByteBuffer.wrap(encoded));
            env.force(false);
        }
        Files.move(temporary, spool.envelopeFile(id), StandardCopyOption.ATOMIC_MOVE);
        spool.directorySync().sync();
    }

    /** Drops an unfinished message (RSET, refused content, connection lost). */
    public void abort() {
        if (finished) {
            return;
        }
        finished = true;
        content.closeQuietly();
        if (content.spilled()) {
            try {
                Files.deleteIfExists(spool.messageFile(id));
            } catch (IOException ignored) {
                // An orphan .msg is removed by recovery at the next start; it was never acknowledged.
            }
        }
    }

    @Override
    public void close() {
        abort();
    }
}
