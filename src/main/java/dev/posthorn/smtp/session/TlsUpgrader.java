package dev.posthorn.smtp.session;

import java.io.IOException;
import java.net.Socket;
import javax.net.ssl.SSLSocket;

/** Server-side TLS for sessions: STARTTLS on an open connection, or implicit TLS on port 465. */
public interface TlsUpgrader {

    /** Wraps the connection and completes the handshake; nothing plaintext is buffered by the caller. */
    SSLSocket startTls(Socket plain) throws IOException;

    /** Handshake on a freshly accepted connection, before the greeting (RFC 8314). */
    SSLSocket implicitTls(Socket accepted) throws IOException;
}
