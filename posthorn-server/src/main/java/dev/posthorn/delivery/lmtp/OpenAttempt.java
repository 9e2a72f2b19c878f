package dev.posthorn.delivery.lmtp;

import dev.posthorn.delivery.remote.RemoteReply;
import dev.posthorn.delivery.remote.SmtpClientException;
import java.io.Closeable;
import java.io.IOException;

/**
 * A connection being opened that another thread may cut. Connecting, the greeting and LHLO take up to their
 * time-outs (minutes with RFC 5321 §4.5.3.2's), and {@link LmtpClient#close()} at shutdown must not wait for
 * them: each step registers what blocks it (the socket), and {@link #cut()} closes that, so the step fails at once.
 */
final class OpenAttempt {

    private Closeable blocking;
    private boolean cut;

    /**
     * From now on a cut closes {@code resource}; an attempt already cut closes it at once and throws.
     *
     * @throws SmtpClientException with a synthesised {@code 451 4.4.2} when the attempt was cut
     */
    void watch(Closeable resource, String peer) throws SmtpClientException {
        synchronized (this) {
            if (!cut) {
                blocking = resource;
                return;
            }
        }
        closeQuietly(resource);
        throw new SmtpClientException(RemoteReply.local(451, "4.4.2", "Opening the connection to the LMTP server at "
                + peer + " was cut (the client is closing)"), "cut");
    }

    /** Stops the attempt: whatever it waits on now is closed, and any later step fails. Safe from any thread. */
    void cut() {
        Closeable c;
        synchronized (this) {
            cut = true;
            c = blocking;
            blocking = null;
        }
        if (c != null) {
            closeQuietly(c);
        }
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // Cutting is best effort: the blocked step fails either way.
        }
    }
}
