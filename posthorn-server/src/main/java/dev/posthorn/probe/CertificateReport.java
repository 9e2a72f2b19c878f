package dev.posthorn.probe;

import java.time.Instant;
import java.util.List;

/**
 * What the probe found out about the server's certificate, whether or not the handshake went on.
 *
 * @param names        the DNS names and IP addresses the certificate is for (subject alternative names, else CN)
 * @param subject      the leaf's subject, RFC 2253
 * @param issuer       the leaf's issuer, RFC 2253
 * @param selfSigned   subject equals issuer and the chain has one certificate
 * @param trustProblem null when the JDK's trust store accepts the chain, else why not
 * @param matchesHost  whether one of {@code names} matches the host the probe connected to
 */
public record CertificateReport(List<String> names, String subject, String issuer, Instant notBefore,
                                Instant notAfter, boolean selfSigned, TrustProblem trustProblem,
                                String trustDetail, boolean matchesHost) {

    public CertificateReport {
        names = List.copyOf(names);
    }

    public boolean trusted() {
        return trustProblem == null;
    }

    /** Why the trust store refused the chain. */
    public enum TrustProblem {
        SELF_SIGNED,
        UNKNOWN_ISSUER,
        EXPIRED,
        NOT_YET_VALID,
        OTHER
    }
}
