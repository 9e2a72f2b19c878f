package dev.posthorn.smtp.listener;

import dev.posthorn.codes.Reply;
import dev.posthorn.codes.ReplyName;
import dev.posthorn.smtp.protocol.ListenerRole;
import dev.posthorn.smtp.session.SessionServices;
import dev.posthorn.smtp.session.SmtpSession;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One listening port. Accepts connections, applies the connection limits (a refused client gets
 * {@code 421 4.7.0}, never a silent close) and starts a session on its own virtual thread.
 */
public final class SmtpListener implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SmtpListener.class);

    private final InetSocketAddress address;
    private final ListenerRole role;
    private final boolean implicitTls;
    private final SessionServices services;
    private final ConnectionLimiter limiter;
    private final Set<SmtpSession> sessions;
    private ServerSocket serverSocket;
    private Thread acceptor;

    public SmtpListener(InetSocketAddress address, ListenerRole role, boolean implicitTls, SessionServices services,
            ConnectionLimiter limiter, Set<SmtpSession> sessions) {
        this.address = address;
        this.role = role;
        this.implicitTls = implicitTls;
        this.services = services;
        this.limiter = limiter;
        this.sessions = sessions;
    }

    public void start() throws IOException {
        serverSocket = new ServerSocket();
        serverSocket.setReuseAddress(true);
        serverSocket.bind(address, 4096);
        acceptor = Thread.ofPlatform().daemon().name("accept-" + role.name().toLowerCase() + "-" + port())
                .start(this::acceptLoop);
    }

    /** Bound and accepting (not yet closed): for the readiness check. */
    public boolean listening() {
        ServerSocket socket = serverSocket;
        return socket != null && socket.isBound() && !socket.isClosed();
    }

    public int port() {
        return serverSocket.getLocalPort();
    }

    public InetAddress bindAddress() {
        return serverSocket.getInetAddress();
    }

    public ListenerRole role() {
        return role;
    }

    public boolean implicitTls() {
        return implicitTls;
    }

    private void acceptLoop() {
        AcceptBackoff backoff = new AcceptBackoff(LOG, port());
        while (!serverSocket.isClosed()) {
            Socket socket;
            try {
                socket = serverSocket.accept();
            } catch (IOException e) {
                if (!serverSocket.isClosed()) {
                    // Persistent failures (out of file descriptors) would otherwise spin and flood the log.
                    backoff.failed(e);
                }
                continue;
            }
            backoff.succeeded();
            Thread.ofVirtual().name("smtp-" + role.name().toLowerCase()).start(() -> handle(socket));
        }
    }

    private void handle(Socket socket) {
        InetAddress client = socket.getInetAddress();
        services.metrics().connectionOpened(portLabel());
        switch (limiter.admit(client)) {
            case TOO_MANY -> refuse(socket, ReplyName.TOO_MANY_CONNECTIONS.reply(services.hostname()));
            case TOO_MANY_FROM_ADDRESS ->
                    refuse(socket, ReplyName.TOO_MANY_CONNECTIONS_FROM_ADDRESS.reply(services.hostname()));
            case ADMITTED -> serve(socket, client);
        }
    }

    /**
     * Runs an admitted session. Whatever happens, even an Error while the session is being set up (a class
     * that cannot be loaded when the process is out of file descriptors), the socket is closed and the place
     * given back: a leak here would keep the server out of descriptors for good.
     */
    private void serve(Socket socket, InetAddress client) {
        SmtpSession session = null;
        try {
            session = new SmtpSession(socket, role, implicitTls, services);
            sessions.add(session);
            socket.setTcpNoDelay(true);
            services.metrics().sessionStarted(portLabel());
            try {
                session.run();
            } finally {
                services.metrics().sessionEnded(portLabel());
            }
        } catch (IOException e) {
            LOG.debug("socket setup failed: {}", e.toString());
        } finally {
            if (session != null) {
                sessions.remove(session);
            }
            try {
                socket.close();
            } catch (IOException ignored) {
                // Already closed by the session.
            }
            limiter.release(client);
        }
    }

    /** The role as the metrics' {@code port} label: "mx", "submission", "submissions". */
    private String portLabel() {
        return role.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** SMTP-CONFORMANCE G-6: admission control answers 421 before closing. */
    private void refuse(Socket socket, Reply reply) {
        LOG.warn("refused connection from [{}] port={}: {}", socket.getInetAddress().getHostAddress(), role,
                reply.summary());
        try (socket) {
            if (!implicitTls) {
                OutputStream out = socket.getOutputStream();
                out.write(reply.wire().getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
        } catch (IOException ignored) {
            // The client left first.
        }
    }

    /** Stops accepting; open sessions are shut down by the server. */
    @Override
    public void close() {
        try {
            serverSocket.close();
        } catch (IOException ignored) {
            // Closing anyway.
        }
    }

    public static Set<SmtpSession> newSessionSet() {
        return ConcurrentHashMap.newKeySet();
    }
}
