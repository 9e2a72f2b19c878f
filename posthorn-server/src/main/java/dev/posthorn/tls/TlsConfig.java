package dev.posthorn.tls;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code [tls]} section. Paths are PEM files in certbot's layout ({@code fullchain.pem} holds the
 * certificate followed by its chain, {@code privkey.pem} the key). With no {@code cert}, a self-signed
 * certificate for the host name is generated on first start. Names bind as snake_case.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public final class TlsConfig {

    /** Certificate chain, leaf first (e.g. /etc/letsencrypt/live/mx.example.org/fullchain.pem). */
    public String cert;
    /** Private key of {@link #cert}: RSA or EC, PKCS#1/SEC1 or PKCS#8, unencrypted. */
    public String key;
    /** Further certificates, chosen by the server name the client asks for (SNI). */
    public List<CertificatePair> certificates = new ArrayList<>();
    /** How often to look at the files' modification times and load replaced certificates. */
    public long reloadSeconds = 60;

    /** One more certificate for SNI. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public static final class CertificatePair {
        public String cert;
        public String key;

        public CertificatePair() {
        }

        public CertificatePair(String cert, String key) {
            this.cert = cert;
            this.key = key;
        }
    }

    /** Throws IllegalArgumentException naming the key and the fix. */
    public void validate() {
        if ((cert == null) != (key == null)) {
            throw new IllegalArgumentException("tls.cert and tls.key must be set together (or neither, for a self-signed certificate)");
        }
        if (cert == null && certificates != null && !certificates.isEmpty()) {
            throw new IllegalArgumentException("tls.certificates needs tls.cert and tls.key as the default certificate");
        }
        if (certificates != null) {
            for (int i = 0; i < certificates.size(); i++) {
                CertificatePair pair = certificates.get(i);
                if (pair == null || pair.cert == null || pair.key == null) {
                    throw new IllegalArgumentException("tls.certificates[" + i + "] needs both cert and key");
                }
            }
        }
        if (reloadSeconds < 0) {
            throw new IllegalArgumentException("tls.reload_seconds must not be negative (0 checks on every handshake)");
        }
    }
}
