package dev.posthorn.delivery.remote;

import dev.posthorn.delivery.security.CheckingTrustManager;
import dev.posthorn.delivery.security.TlsRptCollector;
import dev.posthorn.delivery.security.TlsSecurity;

/**
 * How to talk to one MX host under the domain's policies.
 *
 * @param mode     what TLS the host must give
 * @param security the level this plan aims at and the record that decided it
 * @param trust    the certificate check for {@link Mode#AUTHENTICATED} and {@link Mode#TESTING}, else null
 * @param refusal  for {@link Mode#REFUSE}: the deferral reply naming the policy, the host and the failure
 * @param policy   how sessions under this plan are counted in the TLS report
 * @param policyName "DANE", "MTA-STS" or null: who requires TLS, for replies
 * @param serverName the TLS server name indication to send: under DANE the TLSA base domain (RFC 7672 §8.1),
 *                   else null (the MX host name)
 */
public record HostPlan(Mode mode, TlsSecurity security, CheckingTrustManager trust, RemoteReply refusal,
                       TlsRptCollector.Policy policy, String policyName, String serverName) {

    public HostPlan(Mode mode, TlsSecurity security, CheckingTrustManager trust, RemoteReply refusal,
                    TlsRptCollector.Policy policy, String policyName) {
        this(mode, security, trust, refusal, policy, policyName, null);
    }

    public enum Mode {
        /** Do not connect: the policy cannot be met (TLSA lookup failed, MX host not allowed). */
        REFUSE,
        /** STARTTLS required and the certificate must pass {@link #trust} (DANE, MTA-STS enforce). */
        AUTHENTICATED,
        /** STARTTLS required, any certificate (TLSA records exist but none is usable: RFC 7672 §2.2). */
        ENCRYPTED,
        /** STARTTLS when offered; {@link #trust} only records failures for the report (MTA-STS testing). */
        TESTING,
        /** No policy: the route's own TLS setting (opportunistic by default). */
        ROUTE
    }

    public boolean tlsRequired() {
        return mode == Mode.AUTHENTICATED || mode == Mode.ENCRYPTED;
    }
}
