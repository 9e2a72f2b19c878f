package dev.posthorn.delivery.security;

import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import javax.net.ssl.X509TrustManager;

/**
 * A server-certificate check that remembers why it refused, so the deferral reply, {@code posthorn queue show} and
 * the TLS report can name the failure (RFC 8460 §4.3). With {@code enforce} off (MTA-STS "testing") it only
 * records: the handshake goes on and the failure is reported, never acted upon (RFC 8461 §5).
 */
public abstract class CheckingTrustManager implements X509TrustManager {

    private final boolean enforce;
    private volatile TlsRptResult failure;
    private volatile String detail;

    protected CheckingTrustManager(boolean enforce) {
        this.enforce = enforce;
    }

    /** Why the certificate was refused (or, when not enforcing, would have been); null when it passed. */
    public TlsRptResult failure() {
        return failure;
    }

    public String detail() {
        return detail;
    }

    /** Forgets the last verdict: each connection is judged afresh, so an earlier address's failure names no later one. */
    public void reset() {
        failure = null;
        detail = null;
    }

    /** Throws a {@link Refusal} naming what is wrong with the chain. */
    protected abstract void check(X509Certificate[] chain, String authType) throws Refusal;

    @Override
    public final void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        if (chain == null || chain.length == 0) {
            throw new CertificateException("the server sent no certificate");
        }
        try {
            check(chain, authType);
        } catch (Refusal r) {
            failure = r.result;
            detail = r.getMessage();
            if (enforce) {
                throw new CertificateException(r.getMessage(), r);
            }
        }
    }

    @Override
    public final void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("outbound delivery is a client");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
    }

    /** Accepts any certificate: TLS for encryption only (RFC 7672 §2.2 with no usable TLSA record, RFC 7435). */
    public static CheckingTrustManager anyCertificate() {
        return new CheckingTrustManager(true) {
            @Override
            protected void check(X509Certificate[] chain, String authType) {
                // Any certificate will do.
            }
        };
    }

    /**
     * {@code policy}'s check and then {@code floor}'s, both enforced: a receiving domain's policy (which in MTA-STS
     * "testing" only records its verdict) under the operator's own demand of a verified certificate
     * ({@code tls = "verify"}), which no policy may lower.
     */
    public static CheckingTrustManager both(CheckingTrustManager policy, CheckingTrustManager floor) {
        return new CheckingTrustManager(true) {
            @Override
            protected void check(X509Certificate[] chain, String authType) throws Refusal {
                try {
                    policy.checkServerTrusted(chain, authType);
                } catch (CertificateException e) {
                    throw new Refusal(policy.failure() == null ? TlsRptResult.VALIDATION_FAILURE : policy.failure(),
                            policy.detail() == null ? e.getMessage() : policy.detail());
                }
                floor.check(chain, authType);
            }

            @Override
            public void reset() {
                super.reset();
                policy.reset();
                floor.reset();
            }
        };
    }

    /** Whether a certificate check failed because of a validity date, from the exception and its causes. */
    protected static boolean expired(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof CertificateExpiredException || t instanceof CertificateNotYetValidException
                    || (t instanceof java.security.cert.CertPathValidatorException v
                    && v.getReason() == java.security.cert.CertPathValidatorException.BasicReason.EXPIRED)) {
                return true;
            }
        }
        return false;
    }

    /** A refused certificate and its RFC 8460 result type. */
    public static final class Refusal extends Exception {
        private final transient TlsRptResult result;

        public Refusal(TlsRptResult result, String message) {
            super(message, null, false, false);
            this.result = result;
        }

        public TlsRptResult result() {
            return result;
        }
    }
}
