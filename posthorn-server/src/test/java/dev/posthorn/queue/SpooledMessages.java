package dev.posthorn.queue;

import dev.posthorn.spool.Envelope;
import dev.posthorn.spool.EnvelopeRecipient;
import dev.posthorn.spool.Spool;
import dev.posthorn.spool.SpoolWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/** Messages written into a spool as a session leaves them, for the queue's tests to queue, deliver or damage. */
final class SpooledMessages {

    private SpooledMessages() {
    }

    /** A small message from alice@posthorn.test to carol@remote.test, committed to the spool; its envelope. */
    static Envelope commit(Spool spool, String subject) throws IOException {
        SpoolWriter writer = spool.begin();
        byte[] body = ("Subject: " + subject + "\r\n\r\nbody\r\n").getBytes(StandardCharsets.US_ASCII);
        writer.content().write(body);
        Envelope e = new Envelope(writer.id(), Instant.now(), "alice@posthorn.test",
                List.of(new EnvelopeRecipient("carol@remote.test", Set.of(), null, false)), "7BIT", false,
                null, null, null, "127.0.0.1", "client.test", body.length);
        writer.commit(e);
        return e;
    }
}
