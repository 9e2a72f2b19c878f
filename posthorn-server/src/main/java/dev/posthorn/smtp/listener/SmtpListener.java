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
        while (!serverSocket.isClosed()) {
            Socket socket;
            try {
                socket = serverSocket.accept();
            } catch (IOException e) {
                if (!serverSocket.isClosed()) {
                    LOG.warn("accept on port {} failed: {}", port(), e.toString());
                }
                continue;
            }
            Thread.ofVirtual().name("smtp-" + role.name().toLowerCase()).start(() -> handle(socket));
        }
    }

    private void handle(Socket socket) {
        InetAddress client = socket.getInetAddress();
        switch (limiter.admit(client)) {
            case TOO_MANY -> refuse(socket, ReplyName.TOO_MANY_CONNECTIONS.reply(services.hostname()));
            case TOO_MANY_FROM_ADDRESS ->
                    refuse(socket, ReplyName.TOO_MANY_CONNECTIONS_FROM_ADDRESS.reply(services.hostname()));
            case ADMITTED -> {
                SmtpSession session = new SmtpSession(socket, role, implicitTls, services);
                sessions.add(session);
                try {
                    socket.setTcpNoDelay(true);
                    session.run();
                } catch (IOException e) {
                    LOG.debug("socket setup failed: {}", e.toString());
                } finally {
                    sessions.remove(session);
                    limiter.release(client);
                }
            }
        }
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
