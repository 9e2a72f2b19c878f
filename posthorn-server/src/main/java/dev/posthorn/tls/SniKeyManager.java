package dev.posthorn.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Chooses the server certificate by the name the client asked for (SNI, RFC 6066 §3), among those whose
 * key fits the handshake; the first configured certificate is the default. The set can be replaced at
 * any time ({@link #replace}); handshakes already under way keep the key they chose, since aliases of
 * the previous set stay resolvable.
 */
final class SniKeyManager extends X509ExtendedKeyManager {

    private record Generation(int number, List<CertifiedKey> keys) {
        String alias(int index) {
            return "posthorn-" + number + "-" + index;
        }
    }

    private volatile Generation current;
    private volatile Generation previous;

    SniKeyManager(List<CertifiedKey> keys) {
        this.current = new Generation(0, List.copyOf(keys));
        this.previous = current;
    }

    synchronized void replace(List<CertifiedKey> keys) {
        previous = current;
        current = new Generation(current.number() + 1, List.copyOf(keys));
    }

    List<CertifiedKey> keys() {
        return current.keys();
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        SSLSession handshake = socket instanceof SSLSocket ssl ? ssl.getHandshakeSession() : null;
        return choose(keyType, requestedName(handshake));
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return choose(keyType, requestedName(engine == null ? null : engine.getHandshakeSession()));
    }

    /**
     * The certificates for the requested name if any has it, else the default ones (the first configured
     * and any other with exactly its names, e.g. an RSA twin of an EC certificate); among those the first
     * whose key fits. Null when none fits, so JSSE asks again with the next key type the client accepts
     * (TLS 1.3 signature schemes, TLS 1.2 cipher suites) and a name's RSA certificate wins over the
     * default's EC one.
     */
    private String choose(String keyType, String serverName) {
        Generation g = current;
        List<CertifiedKey> keys = g.keys();
        boolean named = serverName != null && keys.stream().anyMatch(k -> k.matches(serverName));
        for (int i = 0; i < keys.size(); i++) {
            CertifiedKey key = keys.get(i);
            boolean candidate = named ? key.matches(serverName) : key.names().equals(keys.getFirst().names());
            if (candidate && fits(keyType, key.keyAlgorithm())) {
                return g.alias(i);
            }
        }
        return null;
    }

    /** JSSE asks by key type: "RSA", "EC", "RSASSA-PSS" (TLS 1.3 schemes), "EC_EC"/"EC_RSA" (legacy). */
    private static boolean fits(String keyType, String keyAlgorithm) {
        return keyType != null && (keyType.equals(keyAlgorithm) || keyType.startsWith(keyAlgorithm + "_"));
    }

    static String requestedName(SSLSession handshake) {
        if (handshake instanceof ExtendedSSLSession extended) {
            for (SNIServerName name : extended.getRequestedServerNames()) {
                if (name instanceof SNIHostName host) {
                    return host.getAsciiName().toLowerCase(Locale.ROOT);
                }
            }
        }
        return null;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        Generation g = current;
        List<String> aliases = new ArrayList<>();
        for (int i = 0; i < g.keys().size(); i++) {
            if (fits(keyType, g.keys().get(i).keyAlgorithm())) {
                aliases.add(g.alias(i));
            }
        }
        return aliases.isEmpty() ? null : aliases.toArray(String[]::new);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        CertifiedKey key = lookup(alias);
        return key == null ? null : key.chain().clone();
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        CertifiedKey key = lookup(alias);
        return key == null ? null : key.key();
    }

    private CertifiedKey lookup(String alias) {
        for (Generation g : new Generation[] {current, previous}) {
            String prefix = "posthorn-" + g.number() + "-";
            if (alias != null && alias.startsWith(prefix)) {
                try {
                    int index = Integer.parseInt(alias.substring(prefix.length()));
                    return index < g.keys().size() ? g.keys().get(index) : null;
                } catch (NumberFormatException e) {
                    return null;
                }
            }
        }
        return null;
    }

    // Server only: we never present client certificates.
    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return null;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return null;
    }
}
