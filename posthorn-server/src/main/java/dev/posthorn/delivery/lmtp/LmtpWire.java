package dev.posthorn.delivery.lmtp;

import dev.posthorn.delivery.remote.RemoteReply;
import dev.posthorn.delivery.remote.ReplyReader;
import dev.posthorn.delivery.remote.SmtpClientException;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The byte stream to an LMTP server, over TCP or a Unix domain socket alike: one blocking {@link SocketChannel}.
 * A channel has no read timeout (and a Unix one has no socket to set SO_TIMEOUT on), so every blocking step — the
 * connect, each reply, each write — runs under a deadline that closes the channel when it passes; the blocked
 * call then fails and we report a time-out rather than a lost connection.
 */
final class LmtpWire implements Closeable {

    private static final ScheduledThreadPoolExecutor DEADLINES = deadlines();

    private final SocketChannel channel;
    private final String peer;
    private final InputStream input;
    private final ReplyReader replies;
    private final OutputStream out;
    private final Duration sendTimeout;

    private LmtpWire(SocketChannel channel, String peer, Duration sendTimeout) {
        this.channel = channel;
        this.peer = peer;
        this.sendTimeout = sendTimeout;
        this.input = Channels.newInputStream(channel);
        this.replies = new ReplyReader(input);
        this.out = new BufferedOutputStream(new GuardedOutput(), 65536);
    }

    /**
     * Connects within {@code timeout}. Failures are {@link SmtpClientException}s with a synthesised
     * {@code 451 4.4.1}, the code of RFC 3463 for "no answer from host". A cut of {@code attempt} closes the socket
     * (during the connect, and later while the greeting and LHLO are awaited on it).
     *
     * @param sendTimeout the bound on each write, RFC 5321 §4.5.3.2.5's data-block time-out (3 minutes)
     */
    static LmtpWire connect(LmtpEndpoint endpoint, Duration timeout, Duration sendTimeout, OpenAttempt attempt)
            throws SmtpClientException {
        return connect(endpoint, timeout, sendTimeout, attempt, BoundedResolver.SYSTEM);
    }

    /** {@link #connect(LmtpEndpoint, Duration, Duration, OpenAttempt)} with the host name lookup given. */
    static LmtpWire connect(LmtpEndpoint endpoint, Duration timeout, Duration sendTimeout, OpenAttempt attempt,
            BoundedResolver.Lookup lookup) throws SmtpClientException {
        // One deadline for the lookup and the connect together: a slow resolver leaves the connect less time.
        long deadline = System.nanoTime() + timeout.toNanos();
        SocketAddress address = switch (endpoint) {
            case LmtpEndpoint.Tcp tcp -> new InetSocketAddress(
                    BoundedResolver.resolve(lookup, tcp.host(), timeout, endpoint.toString(), attempt), tcp.port());
            case LmtpEndpoint.Unix unix -> UnixDomainSocketAddress.of(unix.path());
        };
        Duration left = Duration.ofNanos(deadline - System.nanoTime());
        if (left.isNegative() || left.isZero()) {
            throw new SmtpClientException(RemoteReply.local(451, "4.4.1", "Cannot connect to the LMTP server at "
                    + endpoint + ": timed out after " + timeout.toMillis() + " ms"), "connect");
        }
        SocketChannel channel;
        try {
            channel = address instanceof InetSocketAddress inet
                    ? SocketChannel.open(inet.getAddress() instanceof Inet6Address
                            ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET)
                    : SocketChannel.open(StandardProtocolFamily.UNIX);
        } catch (IOException e) {
            throw new SmtpClientException(RemoteReply.local(451, "4.4.1", "Cannot open a socket for " + endpoint
                    + ": " + e.getMessage()), "connect", e);
        }
        attempt.watch(channel, endpoint.toString());
        try (Deadline connectDeadline = new Deadline(left, () -> closeQuietly(channel))) {
            try {
                if (address instanceof InetSocketAddress) {
                    channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                }
                channel.connect(address);
            } catch (IOException e) {
                closeQuietly(channel);
                String why = connectDeadline.expired() ? "timed out after " + timeout.toMillis() + " ms" : describe(e);
                throw new SmtpClientException(RemoteReply.local(451, "4.4.1", "Cannot connect to the LMTP server at "
                        + endpoint + ": " + why), "connect", e);
            }
        }
        return new LmtpWire(channel, endpoint.toString(), sendTimeout);
    }

    /**
     * Reads one reply (RFC 5321 §4.2) within {@code timeout}. A time-out or a lost connection closes the wire and
     * throws with a synthesised {@code 451 4.4.2}, "bad connection".
     */
    RemoteReply read(Duration timeout) throws SmtpClientException {
        try (Deadline deadline = new Deadline(timeout, this::close)) {
            try {
                return replies.read();
            } catch (IOException e) {
                close();
                if (deadline.expired()) {
                    throw new SmtpClientException(RemoteReply.local(451, "4.4.2", "Timed out after " + timeout.toMillis()
                            + " ms waiting for the reply of the LMTP server at " + peer), "timeout", e);
                }
                throw e instanceof SmtpClientException s ? s : lost(e);
            }
        }
    }

    /** Buffers a command line; only {@link #flush()} and large writes reach the network. */
    void command(String line) throws SmtpClientException {
        byte[] bytes = (line + "\r\n").getBytes(StandardCharsets.UTF_8);
        write(bytes, 0, bytes.length);
    }

    /** The output stream for the message's octets (buffered; each write to the socket under the send deadline). */
    OutputStream content() {
        return out;
    }

    void write(byte[] b, int off, int len) throws SmtpClientException {
        try {
            out.write(b, off, len);
        } catch (SmtpClientException e) {
            throw e;
        } catch (IOException e) {
            close();
            throw lost(e);
        }
    }

    void flush() throws SmtpClientException {
        try {
            out.flush();
        } catch (SmtpClientException e) {
            throw e;
        } catch (IOException e) {
            close();
            throw lost(e);
        }
    }

    boolean isOpen() {
        return channel.isOpen();
    }

    /**
     * Whether bytes wait that no reply of ours has consumed, read or still in the socket (FIONREAD; it does not
     * block and takes nothing), or whether that cannot be told. Between transactions there must be none: they
     * answer nothing we sent (an extra reply, or the 421 a server sends before it closes an idle connection).
     */
    boolean hasUnreadInput() {
        try {
            return replies.buffered() > 0 || input.available() > 0;
        } catch (IOException e) {
            return true;
        }
    }

    String peer() {
        return peer;
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    private SmtpClientException lost(IOException e) {
        return new SmtpClientException(RemoteReply.local(451, "4.4.2", "Connection to the LMTP server at " + peer
                + " lost: " + describe(e)), "connection lost", e);
    }

    /** Writes to the channel, each call bounded by the send time-out: a server that stops reading cannot hang us. */
    private final class GuardedOutput extends OutputStream {
        private final OutputStream raw = Channels.newOutputStream(channel);

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try (Deadline deadline = new Deadline(sendTimeout, LmtpWire.this::close)) {
                try {
                    raw.write(b, off, len);
                } catch (IOException e) {
                    LmtpWire.this.close();
                    if (deadline.expired()) {
                        throw new SmtpClientException(RemoteReply.local(451, "4.4.2", "Timed out after "
                                + sendTimeout.toMillis() + " ms sending to the LMTP server at " + peer), "timeout", e);
                    }
                    throw lost(e);
                }
            }
        }
    }

    /**
     * Closes the channel if the step it guards outlives its time-out. {@link #expired()} is set before the channel is
     * closed, so the step that fails because of the close always learns that it timed out.
     */
    private static final class Deadline implements AutoCloseable {
        private final AtomicBoolean fired = new AtomicBoolean();
        private final ScheduledFuture<?> task;

        Deadline(Duration timeout, Runnable onExpiry) {
            task = DEADLINES.schedule(() -> {
                fired.set(true);
                onExpiry.run();
            }, Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
        }

        boolean expired() {
            return fired.get();
        }

        @Override
        public void close() {
            task.cancel(false);
        }
    }

    private static String describe(IOException e) {
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : message;
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // Closing is best effort: the channel is unusable either way.
        }
    }

    private static ScheduledThreadPoolExecutor deadlines() {
        ScheduledThreadPoolExecutor d = new ScheduledThreadPoolExecutor(1,
                Thread.ofPlatform().name("lmtp-deadline").daemon().factory());
        // Nearly every deadline is cancelled within milliseconds: drop it then rather than keep it for minutes.
        d.setRemoveOnCancelPolicy(true);
        return d;
    }
}
