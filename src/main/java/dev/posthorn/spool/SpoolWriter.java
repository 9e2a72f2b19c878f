package dev.posthorn.spool;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * One message being written into the spool. {@link #commit} makes it durable: the message file is synced,
 * the envelope is written to a temporary file, synced and renamed into place, and the directory is synced
 * (in a group with other sessions). Only then may the caller answer {@code 250}.
 */
public final class SpoolWriter implements AutoCloseable {

    private final Spool spool;
    private final String id;
    private final FileChannel channel;
    private final OutputStream out;
    private boolean finished;

    SpoolWriter(Spool spool, String id) throws IOException {
        this.spool = spool;
        this.id = id;
        this.channel = FileChannel.open(spool.messageFile(id), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        this.out = new BufferedOutputStream(Channels.newOutputStream(channel), 64 * 1024);
    }

    public String id() {
        return id;
    }

    /** Where the message bytes go. */
    public OutputStream content() {
        return out;
    }

    public void commit(Envelope envelope) throws IOException {
        out.flush();
        // fdatasync: the data and the size needed to read it back; the name is covered by the directory sync.
        channel.force(false);
        channel.close();
        Path temporary = spool.directory().resolve(id + ".env.tmp");
        try (FileChannel env = FileChannel.open(temporary, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            env.write(ByteBuffer.wrap(EnvelopeCodec.encode(envelope)));
            env.force(false);
        }
        Files.move(temporary, spool.envelopeFile(id), StandardCopyOption.ATOMIC_MOVE);
        spool.directorySync().sync();
        finished = true;
    }

    /** Drops an unfinished message (RSET, refused content, connection lost). */
    public void abort() {
        if (finished) {
            return;
        }
        finished = true;
        try {
            channel.close();
            Files.deleteIfExists(spool.messageFile(id));
        } catch (IOException ignored) {
            // An orphan .msg is removed by recovery at the next start; it was never acknowledged.
        }
    }

    @Override
    public void close() {
        abort();
    }
}
