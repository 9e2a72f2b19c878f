package dev.posthorn.tls;

import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;

/**
 * What the {@code Received:} header reports about a TLS connection
 * ({@code with ESMTPS ... (version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384)}). {@code serverName} is the
 * SNI the client sent, or null.
 */
public record TlsInfo(String protocol, String cipherSuite, String serverName) {

    public static TlsInfo of(SSLSocket socket) {
        SSLSession session = socket.getSession();
        return new TlsInfo(session.getProtocol(), session.getCipherSuite(), SniKeyManager.requestedName(session));
    }

    /** {@code version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384}, the text inside the Received: comment. */
    public String receivedComment() {
        return "version=" + protocol + " cipher=" + cipherSuite;
    }
}
