package dev.posthorn.probe;

import dev.posthorn.delivery.security.CheckingTrustManager;
import dev.posthorn.delivery.security.SecurityLevel;

/**
 * The receiving domain's TLS policy the probe checks the server against, computed as outbound delivery does
 * (DANE TLSA records, an MTA-STS policy): the level it demands, the record that says so, and the certificate
 * check (which only records: the probe goes on and reports). {@code refusal} is set when the policy already
 * refuses the host before any connection (a failed TLSA lookup, an MX host the policy does not list).
 */
public record PolicyCheck(SecurityLevel level, String decidedBy, CheckingTrustManager trust, String refusal) {
}
